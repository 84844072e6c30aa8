package phub

import (
	"time"

	"github.com/phub/phub/core"
)

// MonoNow reads the system's monotonic clock in the scale of Hub.Mono and
// core.Mono: on Linux (and other Unix systems) CLOCK_MONOTONIC in
// nanoseconds, which every process of the machine reads alike, so a
// deadline can be handed to another process (phubd's fence guard).
func MonoNow() core.Mono { return core.Mono(monoNanos()) }

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
