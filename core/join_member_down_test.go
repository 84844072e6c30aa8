package core

import (
	"testing"
	"time"
)

// TestJoinerServesWithAMemberDown: a joining node gives a member it
// learned only through gossip DownAfter to show up (checkSynced), then
// serves without it. n9 is a name n1 heard of by gossip and never
// reached (down, not Detected); a new node n4 learns it from n1's welcome
// and is ready DownAfter later: not before (n9 might be alive and hold
// claims n4 must know: many nodes starting at once), and not only once n9
// is forgotten (ForgetDownAfter).
func TestJoinerServesWithAMemberDown(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	c.nodes["n1"].mergeMembers([]Member{{Name: "n9", Incarnation: 1, Status: StatusAlive}})
	if s := c.nodes["n1"].members.members["n9"]; s == nil || s.Status != StatusDown || s.Detected {
		t.Fatalf("n1's record of n9, heard of by gossip: %+v, want down and not Detected", s)
	}
	n4 := joinNode(t, c, "n4", []NodeID{"n1", "n2"})
	down := n4.cfg.Timing.DownAfter
	c.until(func() bool { _, known := n4.members.members["n9"]; return known }, time.Minute, "n4 learned n9")
	learned := c.now
	c.until(n4.ready, 10*down, "n4 ready with n9 down")
	if waited := c.now.Sub(learned); waited < down {
		t.Fatalf("n4 was ready %v after it learned n9, which had DownAfter (%v) to show up", waited, down)
	}
	if got := n4.View(); len(got) != 3 {
		t.Fatalf("n4's view %v, want n1, n2, n4", got)
	}
	if forget := n4.cfg.Timing.ForgetDownAfter; forget <= 10*down {
		t.Fatalf("ForgetDownAfter %v does not exceed the bound checked (%v)", forget, 10*down)
	}
}

// TestRejoinDoesNotWaitForADetectedDownSeed: a node that boots while a
// member is down does not wait DownAfter for it when the cluster's
// failure detector declared it down (Member.Detected): n3 crashes, n1 and
// n2 mark it down, then n2 crashes and comes back with seeds n1 and n3.
// Before Member.Detected, n2 waited DownAfter from its boot for its seed
// n3 (checkSynced; crash seed 36 of the simulator: 5.1 s with production
// timing); now it is ready once n1's welcome is in, within a few
// heartbeats. A node that never knew n3 learns the verdict from the
// welcome too (n4).
func TestRejoinDoesNotWaitForADetectedDownSeed(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	delete(c.nodes, "n3")
	c.names = []NodeID{"n1", "n2"}
	c.until(func() bool { return len(c.nodes["n1"].View()) == 2 && len(c.nodes["n2"].View()) == 2 }, time.Minute, "n3 seen down")
	if s := c.nodes["n1"].members.members["n3"]; !s.Detected {
		t.Fatalf("n1's record of n3 after its detector marked it down: %+v, want Detected", s.Member)
	}
	n2 := c.restart("n2", 2)
	down := n2.cfg.Timing.DownAfter
	booted := c.now
	c.until(n2.ready, 10*down, "n2 ready after its restart")
	if waited := c.now.Sub(booted); waited >= down/2 {
		t.Fatalf("n2 was ready %v after its boot with its seed n3 detected down, want well within DownAfter (%v)", waited, down)
	}
	if s := n2.members.members["n3"]; s == nil || s.Status != StatusDown || !s.Detected {
		t.Fatalf("n2's record of n3: %+v, want down and Detected (from n1's welcome)", s)
	}

	n4 := joinNode(t, c, "n4", []NodeID{"n1", "n2", "n3"})
	booted = c.now
	c.until(n4.ready, 10*down, "n4 ready")
	if waited := c.now.Sub(booted); waited >= down/2 {
		t.Fatalf("n4 was ready %v after its boot with n3 detected down, want well within DownAfter (%v)", waited, down)
	}
}

// joinNode boots a new node name with seeds into c.
func joinNode(t *testing.T, c *lockstep, name NodeID, seeds []NodeID) *Node {
	t.Helper()
	cfg := DefaultConfig(name)
	fastTiming(&cfg)
	cfg.Incarnation = 1
	cfg.Seeds = seeds
	n, err := NewNode(cfg, c.now)
	if err != nil {
		t.Fatal(err)
	}
	c.nodes[name], c.names = n, append(c.names, name)
	return n
}

// TestDetectedFollowsTheRecords: a down member this node never heard from
// counts as detected down (Member.Detected) once a record says a detector
// declared it down, and no longer once a record shows it alive (some node
// hears it: a booting node waits for it); a record of an older
// incarnation changes nothing, nor does one that is down without the
// verdict. A member heard directly and then silent is detected down by
// this node itself, and hearing it again undoes that.
func TestDetectedFollowsTheRecords(t *testing.T) {
	m := newMembership(Member{Name: "n1", Incarnation: 1}, 0)
	m.merge(Member{Name: "n2", Incarnation: 2, Status: StatusAlive}, 1)
	steps := []struct {
		g    Member
		want bool
	}{
		{Member{Name: "n2", Incarnation: 2, Status: StatusDown}, false},
		{Member{Name: "n2", Incarnation: 1, Status: StatusDown, Detected: true}, false},
		{Member{Name: "n2", Incarnation: 2, Status: StatusDown, Detected: true}, true},
		{Member{Name: "n2", Incarnation: 2, Status: StatusDown}, true},
		{Member{Name: "n2", Incarnation: 1, Status: StatusAlive}, true},
		{Member{Name: "n2", Incarnation: 2, Status: StatusAlive}, false},
		{Member{Name: "n2", Incarnation: 3, Status: StatusDown, Detected: true}, true},
	}
	for i, st := range steps {
		m.merge(st.g, Instant(i+2))
		if got := m.members["n2"].Detected; got != st.want {
			t.Fatalf("step %d, after %+v: Detected %v, want %v", i, st.g, got, st.want)
		}
	}

	timing := DefaultConfig("n1").Timing
	m.heard("n3", 1, nil, 10)
	if _, ok := m.expire("n3", Instant(10+timing.DownAfter+1), timing); !ok || !m.members["n3"].Detected {
		t.Fatalf("n3 silent for DownAfter: %+v, want down and Detected", m.members["n3"].Member)
	}
	m.heard("n3", 1, nil, Instant(20+timing.DownAfter))
	if s := m.members["n3"]; s.Status != StatusAlive || s.Detected {
		t.Fatalf("n3 heard again: %+v, want alive and not Detected", s.Member)
	}
}
