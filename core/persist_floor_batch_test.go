package core

import (
	"testing"
	"time"
)

// TestRecoveredFloorIsNotWrittenAgain: PersistBatch.EpochFloor carries a
// raised floor only. A node recovered from a snapshot whose floor nothing
// raised writes no floor in its batches (the store holds it already); one
// that finds a tombstone expired at boot (below the grid cutoff, a whole
// grid cell past the TTL here) writes the floor it raised, once.
func TestRecoveredFloorIsNotWrittenAgain(t *testing.T) {
	cfg := DefaultConfig("n1")
	fastTiming(&cfg)
	cfg.Incarnation = 2
	now := Instant(1000 * time.Second)
	ttl := cfg.Timing.TombstoneTTL
	floors := func(n *Node, now Instant) []uint64 {
		var out []uint64
		for i := 0; i < 10; i++ {
			if b := n.Ready().Persist; b != nil && b.EpochFloor != 0 {
				out = append(out, b.EpochFloor)
			}
			now = now.Add(cfg.Timing.TickInterval)
			n.Tick(now)
		}
		return out
	}

	snap := NewSnapshot()
	snap.Incarnation, snap.EpochFloor = 1, 7
	snap.Entries["live"] = Entry{Spec: ChildSpec{ID: "live"}, Epoch: 9, Holder: "n1", By: "n1"}
	n, err := NewNodeFromSnapshot(cfg, now, snap)
	if err != nil {
		t.Fatal(err)
	}
	if got := floors(n, now); len(got) != 0 {
		t.Fatalf("a recovered node rewrote its unchanged epoch floor 7: batches carried floors %v", got)
	}
	if f := n.EpochFloor(); f != 7 {
		t.Fatalf("recovered floor %d, want 7", f)
	}

	snap.Entries["gone"] = Entry{Spec: ChildSpec{ID: "gone"}, Epoch: 12, Stopped: true, StoppedAt: now.Add(-ttl - cfg.Sync.Interval - time.Second), Holder: "n1", By: "n1"}
	n, err = NewNodeFromSnapshot(cfg, now, snap)
	if err != nil {
		t.Fatal(err)
	}
	if got := floors(n, now); len(got) != 1 || got[0] != 12 {
		t.Fatalf("a node that found a tombstone at epoch 12 expired at boot wrote floors %v, want [12] once", got)
	}
}
