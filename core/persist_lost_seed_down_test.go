package core

import (
	"testing"
	"time"
)

// TestLostStateNodeKeepsASeedsSync: a node booted with lost state
// (NewNodeLostState) waits for a full sync from each seed — once. When
// its seed n1 synced it and then crashed before the other member n2's
// full sync arrived, the node becomes ready on n2's sync (it has what n1
// held), not only when n1 would be forgotten (ForgetDownAfter).
func TestLostStateNodeKeepsASeedsSync(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	cfg := DefaultConfig("n3")
	fastTiming(&cfg)
	cfg.Incarnation = 1
	cfg.Seeds = []NodeID{"n1"}
	n3, err := NewNodeLostState(cfg, c.now)
	if err != nil {
		t.Fatal(err)
	}
	fullSyncTo3 := func(env Envelope, from NodeID) bool {
		return env.Msg.From == from && env.To == "n3" && env.Msg.Kind == MsgReplicate && env.Msg.Full
	}
	c.drop = func(env Envelope) bool {
		// n1's sync waits until n3 knows n2 (from n1's welcome); n2's
		// until n1 is gone.
		return fullSyncTo3(env, "n2") || (fullSyncTo3(env, "n1") && n3.members.members["n2"] == nil)
	}
	c.nodes["n3"], c.names = n3, append(c.names, "n3")
	c.until(func() bool { return n3.syncedFrom["n1"] && n3.members.alive("n2") }, time.Minute, "n3 synced from its seed n1 and sees n2")
	if n3.ready() {
		t.Fatal("n3 is ready without n2's full sync")
	}

	// n1 crashes; n2's full sync is still on its way.
	delete(c.nodes, "n1")
	c.names = []NodeID{"n2", "n3"}
	c.until(func() bool { return !n3.members.alive("n1") }, time.Minute, "n3 saw n1 down")
	if n3.ready() {
		t.Fatal("n3 is ready without n2's full sync")
	}
	c.drop = nil
	down := cfg.Timing.DownAfter
	c.until(n3.ready, 10*down, "n3 ready after n2's full sync (n1 synced it before crashing)")
	if forget := cfg.Timing.ForgetDownAfter; forget <= 10*down {
		t.Fatalf("ForgetDownAfter %v does not exceed the bound checked (%v)", forget, 10*down)
	}
}
