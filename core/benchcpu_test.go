package core

import (
	"runtime"
	"testing"
)

// cpuMeter sums the thread CPU time of a benchmark's timed phases and
// reports it per operation as "cpu-ns/op": core runs on the calling
// goroutine alone, so unlike ns/op it does not count the time other
// processes ran while the benchmark waited for a core (a before/after
// comparison on a loaded machine uses it). Nothing is reported where the
// thread's CPU clock cannot be read.
type cpuMeter struct {
	b     *testing.B
	t0    int64
	total int64
	ok    bool
}

// newCPUMeter locks the benchmark goroutine to its OS thread until report.
func newCPUMeter(b *testing.B) *cpuMeter {
	runtime.LockOSThread()
	return &cpuMeter{b: b, ok: threadCPUNanos() != 0}
}

// start and stop bracket one timed phase (beside b.StartTimer/StopTimer).
func (m *cpuMeter) start() { m.t0 = threadCPUNanos() }
func (m *cpuMeter) stop()  { m.total += threadCPUNanos() - m.t0 }

// report reports cpu-ns/op and unlocks the thread.
func (m *cpuMeter) report() {
	if m.ok {
		m.b.ReportMetric(float64(m.total)/float64(m.b.N), "cpu-ns/op")
	}
	runtime.UnlockOSThread()
}
