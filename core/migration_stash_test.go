package core

import (
	"testing"
)

// TestHotSwapStashedHandoverAckedOnceTheInstanceRuns: a hot-swap
// handover that reaches the node where the child is placed while no
// instance runs there (it stopped and has not restarted yet: the
// placement moved away and back, or the node's view is syncing after an
// uncordon) is stashed for the next instance but not acknowledged, since
// its sender stops its own instance on the acknowledgement. The instance
// that starts next is given the state at its start and acknowledges the
// handover once it runs; retransmissions before that are not
// acknowledged. Before, the stash was acknowledged at once: in skew seed
// 124 (operator cordon/uncordon of n2), n3 stopped 24 children while
// n2's restarted instances were starting, up to 5.9 ms before they ran
// (checks.HotSwapRunsFirst).
func TestHotSwapStashedHandoverAckedOnceTheInstanceRuns(t *testing.T) {
	c, id, n2, l := hotSwapOneChild(t, 3)
	n2.stopLocal(id) // placed here, not running (stopped, not restarted yet)
	n2.Ready()
	if !n2.placedHere(id) {
		t.Fatalf("%s is not placed on n2: the test does not test a stash", id)
	}
	// n3's instance 7 hands its state over; n2 answers in rd.
	handover := func() Ready {
		t.Helper()
		n2.Step(c.now, Message{Kind: MsgHandover, Hub: n2.cfg.HubID, From: "n3", Inc: 1, Seq: 7, IDs: []ChildID{id}, State: []byte("s"), Epoch: l.epoch})
		return n2.Ready()
	}
	acked := func(rd Ready) bool {
		for _, env := range rd.Messages {
			if env.Msg.Kind == MsgHandoverAck && env.To == "n3" && env.Msg.Seq == 7 && env.Msg.Epoch == l.epoch {
				return true
			}
		}
		return false
	}
	if rd := handover(); acked(rd) {
		t.Fatal("a hot-swap handover stashed while no instance runs here was acknowledged: its sender stops before any instance runs")
	}
	if _, ok := n2.migr.stash[id]; !ok {
		t.Fatal("the handover was not stashed")
	}
	if rd := handover(); acked(rd) {
		t.Fatal("a retransmission of the stashed handover was acknowledged")
	}

	// The next instance starts with the state and does not run yet.
	n2.markDirty(id)
	n2.Tick(c.now)
	rd := n2.Ready()
	next := n2.local[id]
	if next == nil {
		t.Fatal("n2 did not restart the child")
	}
	given := false
	for _, e := range rd.Effects {
		given = given || (e.Kind == EffectStart && e.ID == id && e.Instance == next.instance && string(e.State) == "s")
	}
	if !given {
		t.Fatalf("the restart was not given the stashed state: %+v", rd.Effects)
	}
	if acked(rd) {
		t.Fatal("acknowledged when the instance started, before it ran")
	}
	if rd := handover(); acked(rd) {
		t.Fatal("a retransmission was acknowledged while the instance given the state was still starting")
	}
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: next.instance})
	if !acked(n2.Ready()) {
		t.Fatal("the handover was not acknowledged once the instance given its state ran")
	}
	if rd := handover(); !acked(rd) {
		t.Fatal("a retransmission once the instance runs was not acknowledged")
	}
}
