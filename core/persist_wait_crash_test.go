package core

import (
	"slices"
	"testing"
	"time"
)

// TestRecoveryWaitSurvivesACrashDuringIt: a node recovered from a disk
// whose last view names n2 and n3 waits for their state before it acts
// (TestRecoveredNodeWaitsForItsLastView). If it crashes again before
// they return, its disk must still name them: the view it wrote at boot
// (itself alone) replaced [n2 n3], so the next recovery found no one to
// wait for and acted alone after DownAfter — started the child n2 held at
// epoch 3 from its own disk, and would answer for the registry without
// the versions n2 and n3 may hold (durable seed 30: n2 recovered with
// view [n1 n3], crashed at the same instant in the full-cluster crash and
// came back with view [], then served while n3 was away). Once the wait
// is given up (ForgetDownAfter) the disk holds the plain view again.
func TestRecoveryWaitSurvivesACrashDuringIt(t *testing.T) {
	snap := NewSnapshot()
	snap.Apply(&PersistBatch{Incarnation: 1, ViewChanged: true, View: []NodeID{"n2", "n3"},
		Entries: []Entry{{Spec: ChildSpec{ID: "a"}, Epoch: 3, Holder: "n2", By: "n2"}}})
	d := newSoloDriver(t, 2, snap, Instant(1000*time.Second))
	down := d.n.Config().Timing.DownAfter
	d.run(down / 2) // crashes while it still waits
	if got := d.disk.View; !slices.Equal(got, []NodeID{"n2", "n3"}) {
		t.Fatalf("while it waits for n2 and n3 the disk holds the view %v, want [n2 n3]", got)
	}
	d = newSoloDriver(t, 3, d.disk, d.now.Add(time.Second))
	d.run(3 * down)
	if d.n.Readiness().Synced || len(d.starts) > 0 {
		t.Fatalf("recovered again after a crash during its wait, it acts alone %v after boot (synced %v, starts %+v) though n2 and n3 never returned",
			3*down, d.n.Readiness().Synced, d.starts)
	}
	d.run(d.n.Config().Timing.ForgetDownAfter)
	if !d.n.Readiness().Synced || len(d.disk.View) != 0 {
		t.Fatalf("after ForgetDownAfter: synced %v, disk view %v; want synced and the view it holds (itself alone)", d.n.Readiness().Synced, d.disk.View)
	}
}
