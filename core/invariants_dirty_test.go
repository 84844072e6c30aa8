package core

import (
	"strings"
	"testing"
)

// TestCheckInvariantsCatchesAnUnreconciledChild: a child marked for
// reconciliation on a node that does not know it has work to do (not
// dirty, not inside a batch) would never be reconciled; CheckInvariants,
// which the simulator runs after every input, names it — for one such
// child as for several.
func TestCheckInvariantsCatchesAnUnreconciledChild(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) {
		fastTiming(cfg)
		cfg.CheckInvariants = true
	})
	n := c.nodes["n1"]
	for _, ids := range [][]ChildID{{"a"}, {"a", "b"}} {
		if err := n.CheckInvariants(); err != nil {
			t.Fatalf("healthy node: %v", err)
		}
		if n.dirtyIDs == nil {
			n.dirtyIDs = map[ChildID]struct{}{}
		}
		for _, id := range ids {
			n.dirtyIDs[id] = struct{}{}
			n.dirtyOrder = append(n.dirtyOrder, id)
		}
		n.dirty = false
		err := n.CheckInvariants()
		if err == nil || !strings.Contains(err.Error(), "not dirty") {
			t.Fatalf("%d dirty ids on a node that is not dirty: %v, want an error naming it", len(ids), err)
		}
		clear(n.dirtyIDs)
		n.dirtyOrder = n.dirtyOrder[:0]
	}
}
