package phub

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub/core"
)

// Cordon cordons node, which may be this node or any alive member: it
// stays a member (it counts for quorum, keeps its registry replica and
// answers lookups) but takes no new children, and every child the ring
// placed on it moves to the node that now owns it under the migration
// strategy (hot swap with handover carries the state). Guided children
// are bound to their nodes and stay. It returns once node has applied the
// cordon; its children move away afterwards (see Drain to wait for
// that). Cordoning a cordoned node does nothing. It returns
// ErrUnknownNode for a node that is not an alive member, ErrPartitioned
// without quorum, and ErrNoUncordonedNode if every other alive member is
// cordoned. A restarted node is uncordoned.
func (h *Hub) Cordon(ctx context.Context, node core.NodeID) error {
	return h.cordon(ctx, core.OpCordon, node)
}

// Uncordon puts a cordoned node back on the ring: children move back to
// it as when a node joins. It returns once node has applied it.
func (h *Hub) Uncordon(ctx context.Context, node core.NodeID) error {
	return h.cordon(ctx, core.OpUncordon, node)
}

// Cordoned returns the alive members this node knows to be cordoned,
// sorted.
func (h *Hub) Cordoned(ctx context.Context) ([]core.NodeID, error) {
	var out []core.NodeID
	err := h.call(ctx, func() { out = h.node.Cordoned() })
	return out, err
}

// Drain cordons node and waits until no child runs on it any more (its
// guided children excepted, which stay), polling WhichChildrenGlobal. It
// returns ctx's error if the children have not moved by then; the node
// stays cordoned.
func (h *Hub) Drain(ctx context.Context, node core.NodeID) error {
	if err := h.Cordon(ctx, node); err != nil {
		return err
	}
	for {
		global, _, err := h.WhichChildrenGlobal(ctx)
		if err != nil {
			return err
		}
		left := -1
		for _, nc := range global {
			if nc.Node == node {
				left = 0
				for _, c := range nc.Children {
					if e := h.index.get(c.ID); e == nil || len(e.Pinned) == 0 {
						left++
					}
				}
			}
		}
		if left == 0 {
			return nil
		}
		if err := sleepCtx(ctx, h.cfg.Core.Timing.HeartbeatInterval); err != nil {
			return fmt.Errorf("phub: drain %s: %d children still run there: %w", node, left, err)
		}
	}
}

func (h *Hub) cordon(ctx context.Context, op core.Op, node core.NodeID) error {
	rep, err := h.request(ctx, core.Request{Op: op, Target: node, Timeout: h.coreTimeout(ctx)})
	if err != nil {
		return err
	}
	if rep.Err != nil {
		return fmt.Errorf("phub: %s %s: %w", op, node, rep.Err)
	}
	if rs := convertResults(rep.Results); len(rs) == 1 && rs[0].Err != nil {
		return fmt.Errorf("phub: %s %s: %w", op, node, rs[0].Err)
	}
	return nil
}

// sleepCtx waits for d or until ctx ends (then it returns ctx's error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
