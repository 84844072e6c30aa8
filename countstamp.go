package phub

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/phub/phub/core"
)

// countStamp records when the loop last changed the lookup index's count,
// published as a seqlock so a reader gets a count and the time it was
// reached as one consistent pair. Only the loop writes it.
type countStamp struct {
	// gen is odd while the loop applies changes to the index.
	gen atomic.Uint64
	// at is the clock reading, in nanoseconds since the hub's start, of
	// the last applied batch that changed the count (0: none yet).
	at atomic.Int64
}

// applyChanges applies a batch of registry changes to the index and, if
// the count changed, stamps the time. Loop only.
func (h *Hub) applyChanges(changes []core.RegistryChange) {
	if len(changes) == 0 {
		return
	}
	before := h.index.len()
	h.stamp.gen.Add(1)
	h.index.apply(changes)
	if h.index.len() != before {
		h.stamp.at.Store(int64(h.clock.Now().Sub(h.start)))
	}
	h.stamp.gen.Add(1)
}

// CountAt returns Count and the time at which the event loop last changed
// it (the moment it applied the batch of registry changes that made it
// so), read together: the count has not changed since that time. The time
// is the hub's start time while the count never changed. A benchmark
// that waits for every node to hold n entries learns when that became
// true, not only when its poll noticed.
func (h *Hub) CountAt() (n int, at time.Time) {
	for {
		g := h.stamp.gen.Load()
		if g&1 == 1 {
			runtime.Gosched() // a batch is being applied: let it end
			continue
		}
		n = h.index.len()
		d := h.stamp.at.Load()
		if h.stamp.gen.Load() == g {
			return n, h.start.Add(time.Duration(d))
		}
	}
}
