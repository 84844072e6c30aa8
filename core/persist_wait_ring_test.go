package core

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestRecoveryWaitLeavesTheNodeOffTheRing: durable2's scenario. Three
// durable nodes run 30 children; n2 and n3 crash, n1 takes every child
// over; n3 restarts from its disk while n2 stays down. n3 then waits for
// n2's state (awaitingRecovery) up to ForgetDownAfter before it starts
// anything. Until session 13 n1 put n3 back on its ring at once and
// stopped the children n3 now owned (cold swap), so they ran nowhere for
// the whole wait (14 of 30 in durable2's sim run). A node in its recovery
// wait is cordoned (cordon.go), so every ring leaves it out: no child
// runs nowhere for longer than a detection interval (DownAfter), and
// once the wait ends n3 takes its share back.
func TestRecoveryWaitLeavesTheNodeOffTheRing(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) { fastTiming(cfg); cfg.Durable = true })
	const n = 30
	specs := make([]ChildSpec, n)
	for i := range specs {
		specs[i] = ChildSpec{ID: ChildID(fmt.Sprintf("c%d", i))}
	}
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}}); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	running := func() map[ChildID]bool {
		out := map[ChildID]bool{}
		for _, name := range c.names {
			for id, lc := range c.nodes[name].local {
				if lc.status == childRunning {
					out[id] = true
				}
			}
		}
		return out
	}
	c.until(func() bool { return len(running()) == n }, time.Minute, "every child running")

	// n3's disk as it crashed: its registry, its children, its view.
	n3 := c.nodes["n3"]
	snap := NewSnapshot()
	b := &PersistBatch{Incarnation: 1, ViewChanged: true, View: []NodeID{"n1", "n2"}}
	b.Entries = n3.reg.appendEntries(nil, n3.reg.ids())
	for i := range b.Entries {
		b.Entries[i].Replicas = nil
	}
	for _, id := range sortedChildKeys(n3.local) {
		lc := n3.local[id]
		b.Local = append(b.Local, PersistedChild{ID: id, Epoch: lc.epoch, Instance: lc.instance, Active: lc.active})
	}
	snap.Apply(b)

	delete(c.nodes, "n2")
	delete(c.nodes, "n3")
	c.names = []NodeID{"n1"}
	down := c.nodes["n1"].cfg.Timing.DownAfter
	c.until(func() bool { return len(running()) == n }, 10*down, "n1 runs every child after n2 and n3 crashed")

	cfg := n3.cfg
	cfg.Incarnation = 2
	r3, err := NewNodeFromSnapshot(cfg, c.now, snap)
	if err != nil {
		t.Fatal(err)
	}
	c.nodes["n3"], c.names = r3, []NodeID{"n1", "n3"}
	c.until(func() bool { return c.nodes["n1"].members.alive("n3") }, 10*down, "n1 sees n3 back")

	// Through the wait (a few DownAfter of it are enough to see the
	// children stopped): no child runs nowhere for longer than DownAfter.
	nowhereSince := map[ChildID]Instant{}
	check := func() {
		run := running()
		for _, s := range specs {
			if run[s.ID] {
				delete(nowhereSince, s.ID)
				continue
			}
			if _, ok := nowhereSince[s.ID]; !ok {
				nowhereSince[s.ID] = c.now
			}
			if d := c.now.Sub(nowhereSince[s.ID]); d > down {
				t.Fatalf("child %s runs nowhere for %v (> DownAfter %v) while n3 waits for n2 (n3 awaiting recovery: %v)",
					s.ID, d, down, r3.awaitingRecovery())
			}
		}
	}
	// A move keeps the stopped instance's claim until its exit is
	// reported (EffectStop.AwaitExit): report every such exit at once,
	// as the simulator's driver does.
	seen := map[NodeID]int{}
	tick := func() {
		c.tick()
		for _, name := range c.names {
			effs := c.effects[name]
			for _, e := range effs[seen[name]:] {
				if e.Kind == EffectStop && e.AwaitExit {
					c.nodes[name].ChildEvent(c.now, ChildEvent{Kind: ChildExited, ID: e.ID, Instance: e.Instance})
				}
			}
			seen[name] = len(effs)
		}
		c.pump()
		check()
	}
	for end := c.now.Add(20 * down); c.now < end; {
		tick()
	}
	if !r3.awaitingRecovery() {
		t.Fatal("n3 no longer waits for n2: the scenario does not test the wait")
	}
	// The wait ends (n2 is given up after ForgetDownAfter): n3 comes back
	// on the rings and takes children, and none runs nowhere meanwhile.
	for end := c.now.Add(cfg.Timing.ForgetDownAfter); c.now < end; {
		tick()
	}
	for end := c.now.Add(10 * down); c.now < end; {
		tick()
	}
	if !r3.ready() || len(r3.local) == 0 {
		t.Fatalf("n3 after its wait: ready %v, runs %d children; want ready and running its share", r3.ready(), len(r3.local))
	}
}

// TestAClusterBootingFromDiskKeepsARing: every node in its recovery wait
// is cordoned (Member.Recovering), but when no alive member is left
// uncordoned the recovering ones make the ring (placeable): n1 and n2
// boot from disks that name n3, which never returns; while both wait,
// their rings hold both of them, so a start is not refused with
// ErrNoUncordonedNode as while a cluster cordoned on request.
func TestAClusterBootingFromDiskKeepsARing(t *testing.T) {
	c := &lockstep{t: t, nodes: map[NodeID]*Node{}, now: Instant(1000 * time.Second),
		replies: map[NodeID][]Reply{}, hooks: map[NodeID][]Hook{}, effects: map[NodeID][]Effect{}}
	c.names = []NodeID{"n1", "n2"}
	for _, name := range c.names {
		cfg := DefaultConfig(name)
		fastTiming(&cfg)
		cfg.Incarnation = 2
		cfg.Seeds = []NodeID{"n1", "n2", "n3"}
		snap := NewSnapshot()
		var view []NodeID
		for _, p := range []NodeID{"n1", "n2", "n3"} {
			if p != name {
				view = append(view, p)
			}
		}
		snap.Apply(&PersistBatch{Incarnation: 1, ViewChanged: true, View: view,
			Entries: []Entry{{Spec: ChildSpec{ID: "a"}, Epoch: 1, Holder: "n3", By: "n3"}}})
		n, err := NewNodeFromSnapshot(cfg, c.now, snap)
		if err != nil {
			t.Fatal(err)
		}
		c.nodes[name] = n
	}
	down := c.nodes["n1"].cfg.Timing.DownAfter
	c.until(func() bool { return c.nodes["n1"].members.alive("n2") && c.nodes["n2"].members.alive("n1") }, 10*down, "n1 and n2 see each other")
	c.runFor(3 * down)
	for _, name := range c.names {
		n := c.nodes[name]
		if !n.awaitingRecovery() {
			t.Fatalf("%s no longer waits for n3", name)
		}
		if got := n.Cordoned(); len(got) != 2 {
			t.Fatalf("%s sees cordoned %v, want both recovering nodes", name, got)
		}
		if got := n.ring.nodes; len(got) != 2 {
			t.Fatalf("%s's ring is %v while every member recovers, want [n1 n2]", name, got)
		}
	}
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "b"}}})
	c.pump()
	for _, r := range c.replies["n1"] {
		if r.ID == 1 && errors.Is(r.Err, ErrNoUncordonedNode) {
			t.Fatalf("a start while every member recovers is refused: %v", r.Err)
		}
	}
}
