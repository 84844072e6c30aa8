package phub

import (
	"runtime"
	"time"

	"github.com/phub/phub/core"
)

// MonoNow reads the system's monotonic clock in the scale of Hub.Mono and
// core.Mono: on Linux (and other Unix systems) CLOCK_MONOTONIC in
// nanoseconds, which every process of the machine reads alike, so a
// deadline can be handed to another process (phubd's fence guard).
//
// On Linux it is Go's own monotonic clock (the vDSO's CLOCK_MONOTONIC, a few tens
// of nanoseconds) shifted by an offset measured once at start against a
// clock_gettime system call (several microseconds each on a virtual
// machine, once per event-loop input before). The offset errs low, by at
// most the measurement's bracket (monoBracket, typically well under a
// microsecond), so a deadline computed from MonoNow falls at or before
// the one computed from the system call: never later.
func MonoNow() core.Mono {
	if runtime.GOOS != "linux" {
		// Go's monotonic clock is CLOCK_MONOTONIC only on Linux.
		return core.Mono(monoNanos())
	}
	return monoAt(time.Now())
}

// monoAt is the monotonic reading of t, which must carry Go's monotonic
// clock reading (time.Now, not a parsed or rounded time).
func monoAt(t time.Time) core.Mono { return monoOffset + core.Mono(t.Sub(monoEpoch)) }

var monoEpoch, monoOffset, monoBracket = calibrateMono()

// calibrateMono pairs a Go time with the system's monotonic clock: the
// system reading taken just before time.Now, from the tightest of a few
// tries (a bracket is the gap between the readings around time.Now).
func calibrateMono() (epoch time.Time, offset, bracket core.Mono) {
	bracket = -1
	for i := 0; i < 16; i++ {
		before := core.Mono(monoNanos())
		t := time.Now()
		after := core.Mono(monoNanos())
		if bracket < 0 || after-before < bracket {
			epoch, offset, bracket = t, before, after-before
		}
	}
	return epoch, offset, bracket
}

// monoSource returns the hub's monotonic clock: the system's (MonoNow)
// with the real clock, or, with a substituted Clock, the system's reading
// at start advanced by the clock's monotonic differences.
func monoSource(clock Clock, start time.Time) func() core.Mono {
	if _, real := clock.(realClock); real {
		return MonoNow
	}
	base := MonoNow()
	return func() core.Mono { return base + core.Mono(clock.Now().Sub(start)) }
}

// Mono returns the hub's monotonic clock reading (the scale of
// core.Ready.LeaseUntil and LeaseObserver).
func (h *Hub) Mono() core.Mono { return h.mono() }
