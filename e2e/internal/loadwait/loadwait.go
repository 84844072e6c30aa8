// Package loadwait scales the deadlines of the end-to-end tests' waits
// with the machine's measured load, so a wait that is about liveness
// ("the cluster heals", "the children come back") holds on a shared,
// loaded machine and still ends on a real hang.
//
// A deadline written for a quiet machine is multiplied by the load
// factor: the 1-minute load average per CPU, at least 1 and at most
// MaxFactor. On a quiet machine the waits are the ones written; at load
// average 50 on 2 cores they are MaxFactor times longer. A wait polls a
// condition and returns as soon as it holds, so the longer deadline costs
// nothing unless the condition never holds.
package loadwait

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// MaxFactor bounds the load factor, so a hang still ends.
const MaxFactor = 20

// Factor returns the load factor now: the 1-minute load average divided
// by the number of CPUs, clamped to [1, MaxFactor]; 1 where the load
// cannot be read.
func Factor() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 1
	}
	return factorOf(string(b), runtime.NumCPU())
}

// factorOf is Factor for a /proc/loadavg text and a CPU count.
func factorOf(loadavg string, cpus int) float64 {
	fields := strings.Fields(loadavg)
	if len(fields) == 0 || cpus < 1 {
		return 1
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 1
	}
	return min(max(load/float64(cpus), 1), MaxFactor)
}

// Scale returns d multiplied by the load factor now.
func Scale(d time.Duration) time.Duration {
	return scaleBy(d, Factor())
}

func scaleBy(d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * f)
}

// Deadline is a wait's deadline that grows with the load: d scaled by
// the largest load factor seen since the wait began, so load that rises
// during the wait extends it too.
type Deadline struct {
	start  time.Time
	d      time.Duration
	factor float64
}

// Start begins a wait of d (written for a quiet machine) now.
func Start(d time.Duration) *Deadline {
	return &Deadline{start: time.Now(), d: d, factor: Factor()}
}

// Passed re-measures the load factor and reports whether the wait has
// lasted longer than its bound.
func (w *Deadline) Passed() bool {
	w.factor = max(w.factor, Factor())
	return time.Since(w.start) > w.Bound()
}

// Bound returns d scaled by the largest load factor seen so far.
func (w *Deadline) Bound() time.Duration { return scaleBy(w.d, w.factor) }

// Factor returns the largest load factor seen so far.
func (w *Deadline) Factor() float64 { return w.factor }
