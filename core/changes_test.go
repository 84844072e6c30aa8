package core

import (
	"reflect"
	"testing"
)

// liveChangesRun starts and then stops children on 3 nodes (live changes
// on or off) and returns every node's registry changes of each phase.
func liveChangesRun(t *testing.T, live bool) (started, stopped []RegistryChange) {
	c := newBenchCluster(t, 3)
	for _, n := range c.nodes {
		n.cfg.LiveChanges = live
	}
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: benchSpecs("c", 3), Start: StartOptions{Await: true}})
	started = drainChanges(c)
	c.nodes["n1"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: []ChildID{"c-0", "c-1", "c-2"}, Stop: StopOptions{Await: true}})
	stopped = drainChanges(c)
	return started, stopped
}

// drainChanges delivers messages and child reports until every node of
// c is quiet, and returns every node's registry changes meanwhile.
func drainChanges(c *benchCluster) (out []RegistryChange) {
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

// TestChangeEntriesAreNeverRewritten: the entries of registry changes,
// carved from shared slabs (changes.go's entrySlab), are each handed out
// once and keep their contents while later batches are built — the
// runtime's index keeps them and its readers share them. Starts of 300
// children (slabs of 64 and a partial one), a stop of some and a restart
// under new ids follow each other; every entry handed out earlier must
// still read as it did, and no two changes may share one.
func TestChangeEntriesAreNeverRewritten(t *testing.T) {
	c := newBenchCluster(t, 3)
	type kept struct {
		e    *Entry
		was  Entry
		reps []Replica
	}
	var all []kept
	seen := map[*Entry]bool{}
	keep := func(chs []RegistryChange) {
		for _, ch := range chs {
			if ch.Entry == nil {
				continue
			}
			if seen[ch.Entry] {
				t.Fatalf("two changes share the entry of %s", ch.ID)
			}
			seen[ch.Entry] = true
			all = append(all, kept{e: ch.Entry, was: *ch.Entry, reps: append([]Replica(nil), ch.Entry.Replicas...)})
		}
	}
	specs := benchSpecs("a", 300)
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
	keep(drainChanges(c))
	if len(all) < 3*300 {
		t.Fatalf("%d change entries after starting 300 children on 3 nodes, want ≥ 900", len(all))
	}
	ids := make([]ChildID, 0, 100)
	for _, s := range specs[:100] {
		ids = append(ids, s.ID)
	}
	c.nodes["n2"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}})
	keep(drainChanges(c))
	c.nodes["n3"].Request(c.now, Request{ID: 3, Op: OpStart, Specs: benchSpecs("b", 130), Start: StartOptions{Await: true}})
	keep(drainChanges(c))
	for _, k := range all {
		if !reflect.DeepEqual(*k.e, k.was) || !reflect.DeepEqual(k.e.Replicas, k.reps) {
			t.Fatalf("the change entry of %s was rewritten: %+v, handed out as %+v", k.was.Spec.ID, *k.e, k.was)
		}
	}
}
