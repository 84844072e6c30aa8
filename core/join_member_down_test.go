package core

import (
	"testing"
	"time"
)

// TestJoinerServesWithAMemberDown: a joining node gives a member it
// learned only through gossip DownAfter to show up (checkSynced), then
// serves without it. With n3 crashed, a new node n4 learns n3 (down) from
// the welcome and is ready DownAfter later: not before (n3 might be alive
// and hold claims n4 must know), and not only once n3 is forgotten
// (ForgetDownAfter).
func TestJoinerServesWithAMemberDown(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	delete(c.nodes, "n3")
	c.names = []NodeID{"n1", "n2"}
	c.until(func() bool { return len(c.nodes["n1"].View()) == 2 && len(c.nodes["n2"].View()) == 2 }, time.Minute, "n3 seen down")

	cfg := DefaultConfig("n4")
	fastTiming(&cfg)
	cfg.Incarnation = 1
	cfg.Seeds = []NodeID{"n1", "n2"}
	n4, err := NewNode(cfg, c.now)
	if err != nil {
		t.Fatal(err)
	}
	c.nodes["n4"], c.names = n4, append(c.names, "n4")
	down := cfg.Timing.DownAfter
	c.until(func() bool { _, known := n4.members.members["n3"]; return known }, time.Minute, "n4 learned n3")
	learned := c.now
	c.until(n4.ready, 10*down, "n4 ready with n3 down")
	if waited := c.now.Sub(learned); waited < down {
		t.Fatalf("n4 was ready %v after it learned n3, which had DownAfter (%v) to show up", waited, down)
	}
	if got := n4.View(); len(got) != 3 {
		t.Fatalf("n4's view %v, want n1, n2, n4", got)
	}
	if forget := cfg.Timing.ForgetDownAfter; forget <= 10*down {
		t.Fatalf("ForgetDownAfter %v does not exceed the bound checked (%v)", forget, 10*down)
	}
}
