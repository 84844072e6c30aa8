package phub

import (
	"context"
	"time"

	"github.com/phub/phub/core"
)

// Health is a node's state as orchestrators probe it: liveness (the event
// loop answers) and readiness (core.Readiness plus the runtime's own
// leaving flag).
type Health struct {
	core.Readiness
	// Leaving is true once Close has begun the graceful leave.
	Leaving bool
	// Alive counts the alive members (self included); Members every known
	// member.
	Alive, Members int
	// LoopDelay is how long the event loop took to run the probe.
	LoopDelay time.Duration
}

// Ready reports whether the node can serve owner requests: synced, not
// partitioned, not leaving.
func (h Health) Ready() bool { return h.Readiness.Ready() && !h.Leaving }

// Health runs a probe on the event loop and returns the node's state. It
// fails (ctx's error, or ErrClosed) when the loop does not run the probe
// before ctx ends: the node is not live.
func (h *Hub) Health(ctx context.Context) (Health, error) {
	var out Health
	start := time.Now()
	err := h.call(ctx, func() {
		out.Readiness = h.node.Readiness()
		out.Leaving = h.leaving
		ms := h.node.Members()
		out.Members = len(ms)
		for _, m := range ms {
			if m.Status == core.StatusAlive {
				out.Alive++
			}
		}
	})
	out.LoopDelay = time.Since(start)
	return out, err
}
