package core

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestStrictDeadlineWorkIsLinear starts and then stops thousands of
// children on a strict node (the only voter, so no network is needed), the
// driver reporting every start and exit as its own input, as the runtime
// does. Finding the fence deadline and the children due used to visit
// every local (or stopped) child on every input and every batch: N reports
// cost O(N²) visits. The deadline heaps touch each lease a constant number
// of times per renewal: work stays within a few visits per child per
// lease round.
func TestStrictDeadlineWorkIsLinear(t *testing.T) {
	const n = 4000
	cfg := strictConfig("a", []NodeID{"a"})
	now := Instant(1000 * time.Second)
	node, err := NewNode(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	mono := Mono(7 * time.Hour)
	running := map[ChildID]bool{}
	var reports []ChildEvent
	drain := func() {
		for _, e := range node.Ready().Effects {
			switch e.Kind {
			case EffectStart:
				running[e.ID] = true
				reports = append(reports, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
			case EffectStop:
				delete(running, e.ID)
				reports = append(reports, ChildEvent{Kind: ChildExited, ID: e.ID, Instance: e.Instance})
			}
		}
	}
	run := func(d time.Duration) {
		for end := now.Add(d); now < end; {
			now, mono = now.Add(cfg.Timing.TickInterval), mono.Add(cfg.Timing.TickInterval)
			batch := reports
			reports = nil
			for _, ev := range batch {
				node.SetMono(mono)
				node.ChildEvent(now, ev)
				drain()
			}
			node.SetMono(mono)
			node.Tick(now)
			drain()
		}
	}
	run(2 * cfg.strictLease()) // the boot hold
	specs := make([]ChildSpec, n)
	ids := make([]ChildID, n)
	for i := range specs {
		ids[i] = ChildID(fmt.Sprintf("c%05d", i))
		specs[i].ID = ids[i]
	}
	s := node.strict
	work0, rounds0 := s.deadlineWork, s.seq
	node.SetMono(mono)
	node.Request(now, Request{ID: 1, Op: OpStart, Specs: specs})
	drain()
	run(time.Second)
	if len(running) != n {
		t.Fatalf("%d of %d children run a second after their start", len(running), n)
	}
	node.SetMono(mono)
	node.Request(now, Request{ID: 2, Op: OpStop, IDs: ids})
	drain()
	run(time.Second)
	if len(running) != 0 || len(s.stopping) != 0 {
		t.Fatalf("%d children run, %d still stopping a second after their stop", len(running), len(s.stopping))
	}
	work, rounds := s.deadlineWork-work0, int(s.seq-rounds0)
	// Per lease round at most one push of each child's renewal; every
	// entry is popped at most once and rebuilt at most once per push;
	// plus each child's start and stop.
	limit := 3 * n * (rounds + 2)
	t.Logf("%d children, %d lease rounds: %d heap operations (limit %d; a scan per input would be about %d)", n, rounds, work, limit, 2*n*n)
	if work > limit {
		t.Fatalf("the deadline heaps did %d operations for %d children over %d rounds, want at most %d: is something scanning every child per input again?", work, n, rounds, limit)
	}
}

// TestLeaseHeapOrder: entries leave the heap by deadline, then id,
// whatever the order of pushes and rebuilds.
func TestLeaseHeapOrder(t *testing.T) {
	var h leaseHeap
	var want []leaseEntry
	for i := 0; i < 500; i++ {
		e := leaseEntry{until: Mono((i * 7919) % 97), id: ChildID(fmt.Sprintf("c%03d", (i*31)%211))}
		want = append(want, e)
		if i%3 == 0 {
			h = append(h, e)
			h.init()
		} else {
			h.push(e)
		}
	}
	slices.SortFunc(want, func(a, b leaseEntry) int {
		if a.until != b.until {
			return cmp.Compare(a.until, b.until)
		}
		return cmp.Compare(a.id, b.id)
	})
	for i, w := range want {
		if got := h.pop(); got != w {
			t.Fatalf("pop %d: got %v, want %v", i, got, w)
		}
	}
	if len(h) != 0 {
		t.Fatalf("%d entries left", len(h))
	}
}

// TestStrictStartThatRebuildsTheHeapKeepsItsDeadline: the deadline heap
// holds stale entries (leases of children that stopped, or renewed since)
// until they reach its top, and is rebuilt from the local set when they
// outnumber the live ones. A child about to start is not in the local set
// yet: when its own push was the one that triggered the rebuild, its entry
// was dropped, and it ran with no fence deadline (Ready.LeaseUntil said no
// child runs) and no expiry, so nothing stopped it when its lease ran out
// (nontransitive strict seed 4307 of the long sweep, caught by the
// deadline invariant). The test fills the heap with stale entries beyond
// the earliest live lease — a state a node reaches when one child's
// renewal lags behind others that keep renewing — and starts a child.
func TestStrictStartThatRebuildsTheHeapKeepsItsDeadline(t *testing.T) {
	cfg := strictConfig("a", []NodeID{"a"})
	cfg.CheckInvariants = false // the test asks for them itself
	now := Instant(1000 * time.Second)
	node, err := NewNode(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	mono := Mono(7 * time.Hour)
	started := false
	step := func(input func()) {
		node.SetMono(mono)
		input()
		for _, e := range node.Ready().Effects {
			if e.Kind == EffectStart && e.ID == "y" {
				started = true
			}
		}
		if err := node.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	tick := func() {
		now, mono = now.Add(cfg.Timing.TickInterval), mono.Add(cfg.Timing.TickInterval)
		step(func() { node.Tick(now) })
	}
	for end := now.Add(2 * cfg.strictLease()); now < end; { // the boot hold
		tick()
	}
	step(func() { node.Request(now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "y"}}}) })
	if started {
		t.Fatal("y started before the voters granted it a lease")
	}
	s := node.strict
	far := mono.Add(time.Hour)
	for i := 0; len(s.deadlines) < 2*len(node.local)+64; i++ {
		s.deadlines.push(leaseEntry{until: far, id: ChildID(fmt.Sprintf("gone%02d", i))})
	}
	for i := 0; i < 20 && !started; i++ {
		tick()
	}
	if !started {
		t.Fatal("y did not start within 20 ticks of its request")
	}
	lease, ok := node.ChildLeaseUntil("y")
	if !ok {
		t.Fatal("y started but does not run here")
	}
	if got := node.LeaseUntil(); got != lease {
		t.Fatalf("fence deadline %d, want y's lease %d: the driver would let y run past its lease", got, lease)
	}
}
