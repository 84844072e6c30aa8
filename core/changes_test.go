package core

import "testing"

// liveChangesRun starts and then stops children on 3 nodes (live changes
// on or off) and returns every node's registry changes of each phase.
func liveChangesRun(t *testing.T, live bool) (started, stopped []RegistryChange) {
	c := newBenchCluster(t, 3)
	for _, n := range c.nodes {
		n.cfg.LiveChanges = live
	}
	// drain delivers messages and child reports until every node is quiet.
	drain := func() (out []RegistryChange) {
		for busy := true; busy; {
			busy = false
			for _, name := range c.names {
				n := c.nodes[name]
				rd := n.Ready()
				if rd.Empty() {
					continue
				}
				busy = true
				out = append(out, rd.Changes...)
				for _, env := range rd.Messages {
					c.nodes[env.To].Step(c.now, env.Msg)
				}
				for _, e := range rd.Effects {
					switch e.Kind {
					case EffectStart:
						n.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
					case EffectStop:
						n.ChildEvent(c.now, ChildEvent{Kind: ChildExited, ID: e.ID, Instance: e.Instance})
					}
				}
			}
		}
		return out
	}
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: benchSpecs("c", 3), Start: StartOptions{Await: true}})
	started = drain()
	c.nodes["n1"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: []ChildID{"c-0", "c-1", "c-2"}, Stop: StopOptions{Await: true}})
	stopped = drain()
	return started, stopped
}

// TestLiveChangesCarryNoTombstone: with Config.LiveChanges a stopped
// child's changes carry no entry (the runtime's index only removes it),
// while a live child's changes carry its entry as without the option;
// without it a stop's changes carry the tombstone.
func TestLiveChangesCarryNoTombstone(t *testing.T) {
	for _, live := range []bool{false, true} {
		started, stopped := liveChangesRun(t, live)
		if len(started) == 0 || len(stopped) == 0 {
			t.Fatalf("live=%v: %d changes at the start, %d at the stop", live, len(started), len(stopped))
		}
		for _, ch := range started {
			if ch.Entry == nil || ch.Entry.Stopped || ch.Entry.Spec.ID != ch.ID {
				t.Fatalf("live=%v: start change %+v, want the live entry of %s", live, ch.Entry, ch.ID)
			}
		}
		for _, ch := range stopped {
			switch {
			case live && ch.Entry != nil:
				t.Fatalf("live changes: stop change of %s carries %+v, want no entry", ch.ID, *ch.Entry)
			case !live && ch.Entry != nil && !ch.Entry.Stopped:
				t.Fatalf("stop change of %s carries a live entry %+v", ch.ID, *ch.Entry)
			}
		}
		tombstones := 0
		for _, ch := range stopped {
			if ch.Entry != nil && ch.Entry.Stopped {
				tombstones++
			}
		}
		if !live && tombstones < 3 {
			t.Fatalf("without live changes the stop's changes carry %d tombstones, want one per child and node at least", tombstones)
		}
	}
}

// TestBatchSetsAreReusedWhenSmall: the sets that deduplicate a batch's
// ids are emptied and kept after a batch of at most maxReusedSet ids, and
// dropped after a larger one.
func TestBatchSetsAreReusedWhenSmall(t *testing.T) {
	var b outBatch
	for i := 0; i < 3; i++ {
		b.changed(ChildID(rune('a' + i)))
	}
	set := b.changedSet
	b.reset()
	if b.changedSet == nil || len(b.changedSet) != 0 || len(b.changedIDs) != 0 {
		t.Fatalf("after a small batch: set %v ids %v, want an empty kept set", b.changedSet, b.changedIDs)
	}
	b.changed("x")
	if len(set) != 1 {
		t.Fatalf("the kept set is not the one reused (%d ids in the old one)", len(set))
	}
	big := map[ChildID]struct{}{}
	for i := 0; i <= maxReusedSet; i++ {
		big[ChildID(string(rune(i+1)))] = struct{}{}
	}
	if reuseSet(big) != nil {
		t.Fatalf("a set of %d ids is kept, want dropped above %d", len(big), maxReusedSet)
	}
}
