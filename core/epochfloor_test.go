package core

import (
	"testing"
	"time"
)

// TestExpiredTombstoneDoesNotHideAFreshStart: a node whose tombstone of a
// child expired but was not collected yet accepts a fresh start of the
// child from a peer that never learned the epoch floor (it started the
// child lower than the tombstone), instead of keeping the tombstone until
// its next collection. The peer has been a member for longer than the
// TTL: from a member back for less, a version below the tombstone may be
// its version from before the stop, which the tombstone still ends
// (tombstone_gc.go, TestAwayMemberHoldsTombstones).
func TestExpiredTombstoneDoesNotHideAFreshStart(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	n1 := c.nodes["n1"]
	id := ChildID("fresh")
	ttl := n1.cfg.Timing.TombstoneTTL
	c.runFor(ttl)
	// Expired on the grid (tombstone_grid.go): stopped before now − TTL − G.
	at := c.now.Add(-ttl - n1.cfg.Sync.Interval - time.Second)
	n1.reg.put(&Entry{Spec: ChildSpec{ID: id}, Epoch: 5, Stopped: true, StoppedAt: at, By: "n1", Holder: "n1"})
	n1.Step(c.now, Message{Kind: MsgReplicate, Hub: n1.cfg.HubID, From: "n2", Inc: 1, Seq: 1,
		Entries: []Entry{{Spec: ChildSpec{ID: id}, Epoch: 1, Holder: "n2", By: "n2"}}})
	if e := n1.Lookup(id); e == nil { // (n1 may take the orphan over at once: any live version will do)
		t.Fatalf("n1 still hides the fresh start behind its expired tombstone: %+v", e)
	}
	if f := n1.EpochFloor(); f < 5 {
		t.Fatalf("epoch floor %d, want at least the expired tombstone's 5", f)
	}
}

// TestEpochFloorReachesAJoiningNode: a node that joins after a tombstone
// was collected learns the floor from the welcome, and a start it owns
// begins above the collected epoch.
func TestEpochFloorReachesAJoiningNode(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	c.nodes["n1"].raiseEpochFloor(7)
	c.nodes["n2"].raiseEpochFloor(7)
	cfg := DefaultConfig("n3")
	fastTiming(&cfg)
	cfg.Incarnation = 1
	cfg.Seeds = []NodeID{"n1", "n2"}
	n3, err := NewNode(cfg, c.now)
	if err != nil {
		t.Fatal(err)
	}
	c.nodes["n3"] = n3
	c.names = append(c.names, "n3")
	c.until(func() bool { return n3.ready() && len(n3.View()) == 3 }, time.Minute, "n3 joined")
	if f := n3.EpochFloor(); f != 7 {
		t.Fatalf("n3's epoch floor %d, want 7 from the welcome", f)
	}
	id := c.ownedBy("n3", "j")
	rep := c.request("n3", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	if len(rep.Results) != 1 || rep.Results[0].Epoch != 8 {
		t.Fatalf("start on n3: %+v, want epoch 8 (above the floor)", rep)
	}
}
