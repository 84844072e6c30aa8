package core

import (
	"errors"
	"testing"
	"time"
)

// soloDriver drives one durable node alone: it folds every Ready's
// Persist into a snapshot (the "disk") and answers start effects at once.
type soloDriver struct {
	t       *testing.T
	n       *Node
	now     Instant
	disk    *Snapshot
	replies []Reply
	// persistedAtReply: the disk as it was when each reply was released
	persistedAtReply []*Snapshot
	starts           []Effect
}

func newSoloDriver(t *testing.T, inc uint64, disk *Snapshot, now Instant) *soloDriver {
	t.Helper()
	cfg := DefaultConfig("n1")
	cfg.Incarnation = inc
	cfg.RandSeed = 1
	cfg.CheckInvariants = true
	fastTiming(&cfg)
	d := &soloDriver{t: t, now: now, disk: NewSnapshot()}
	var err error
	if disk == nil {
		cfg.Durable = true
		d.n, err = NewNode(cfg, now)
	} else {
		d.disk = disk
		d.n, err = NewNodeFromSnapshot(cfg, now, disk)
	}
	if err != nil {
		t.Fatal(err)
	}
	d.drain()
	return d
}

func (d *soloDriver) drain() {
	for {
		r := d.n.Ready()
		if r.Empty() {
			return
		}
		// The contract: persist first, then act on the rest.
		d.disk.Apply(r.Persist)
		for _, rep := range r.Replies {
			d.replies = append(d.replies, rep)
			d.persistedAtReply = append(d.persistedAtReply, cloneSnap(d.disk))
		}
		for _, e := range r.Effects {
			if e.Kind == EffectStart {
				d.starts = append(d.starts, e)
				d.n.ChildEvent(d.now, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
			}
		}
	}
}

func cloneSnap(s *Snapshot) *Snapshot {
	c := NewSnapshot()
	c.Apply(s.Batch())
	return c
}

func (d *soloDriver) run(dur time.Duration) {
	end := d.now.Add(dur)
	for d.now < end {
		d.now = d.now.Add(10 * time.Millisecond)
		d.n.Tick(d.now)
		d.drain()
	}
}

func (d *soloDriver) request(r Request) Reply {
	d.t.Helper()
	r.ID = uint64(len(d.replies) + 100)
	before := len(d.replies)
	d.n.Request(d.now, r)
	d.drain()
	for i := 0; i < 500 && len(d.replies) == before; i++ {
		d.run(10 * time.Millisecond)
	}
	if len(d.replies) == before {
		d.t.Fatalf("no reply to %v", r.Op)
	}
	return d.replies[len(d.replies)-1]
}

// TestPersistPrecedesAcknowledgement: in durable mode every acknowledged
// start and stop is on the disk by the time its reply is released, with
// its epoch; the incarnation is recorded in the first batch.
func TestPersistPrecedesAcknowledgement(t *testing.T) {
	d := newSoloDriver(t, 7, nil, Instant(1000*time.Second))
	if d.disk.Incarnation != 7 {
		t.Fatalf("incarnation on disk %d, want 7 (first Ready records it)", d.disk.Incarnation)
	}
	d.run(2 * time.Second) // alone: synced after DownAfter
	rep := d.request(Request{Op: OpStart, Specs: []ChildSpec{{ID: "a"}, {ID: "b"}}, Start: StartOptions{Await: true}})
	if rep.Err != nil || len(rep.Results) != 2 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	disk := d.persistedAtReply[len(d.persistedAtReply)-1]
	for _, r := range rep.Results {
		e, ok := disk.Entries[r.ID]
		if !ok || e.Epoch != r.Epoch || e.Stopped {
			t.Fatalf("child %s acknowledged at epoch %d, disk at reply time holds %+v (present %v)", r.ID, r.Epoch, e, ok)
		}
		if c, ok := disk.Local[r.ID]; !ok || c.Epoch != r.Epoch {
			t.Fatalf("local child %s not on disk at reply time: %+v", r.ID, disk.Local)
		}
	}
	rep = d.request(Request{Op: OpStop, IDs: []ChildID{"a"}, Stop: StopOptions{Await: true}})
	if rep.Err != nil || rep.Results[0].Err != "" {
		t.Fatalf("stop: %+v", rep)
	}
	disk = d.persistedAtReply[len(d.persistedAtReply)-1]
	if e := disk.Entries["a"]; !e.Stopped || e.StoppedAt == 0 {
		t.Fatalf("stop acknowledged, disk holds %+v", e)
	}
	if _, ok := disk.Local["a"]; ok {
		t.Fatalf("stopped child still recorded as local: %+v", disk.Local)
	}
}

// TestRecoverFromSnapshot: a node that crashed and boots from its disk
// runs its acknowledged children again at a higher epoch, never its
// stopped ones, and records a new incarnation.
func TestRecoverFromSnapshot(t *testing.T) {
	d := newSoloDriver(t, 1, nil, Instant(1000*time.Second))
	d.run(2 * time.Second)
	rep := d.request(Request{Op: OpStart, Specs: []ChildSpec{{ID: "a"}, {ID: "b"}}, Start: StartOptions{Await: true}})
	acked := map[ChildID]uint64{}
	for _, r := range rep.Results {
		acked[r.ID] = r.Epoch
	}
	d.request(Request{Op: OpStop, IDs: []ChildID{"b"}, Stop: StopOptions{Await: true}})

	// Crash: only the disk survives.
	disk := cloneSnap(d.disk)
	if _, err := NewNodeFromSnapshot(d.n.Config(), d.now, disk); !errors.Is(err, ErrStaleIncarnation) {
		t.Fatalf("recovering with the old incarnation: %v, want ErrStaleIncarnation", err)
	}
	r := newSoloDriver(t, disk.NextIncarnation(1), disk, d.now.Add(time.Second))
	if r.n.Recovered() != 2 {
		t.Fatalf("recovered %d entries, want 2", r.n.Recovered())
	}
	if r.disk.Incarnation != 2 || len(r.disk.Local) != 0 {
		t.Fatalf("first batch after recovery: incarnation %d (want 2), local %v (want none: the old instances died)", r.disk.Incarnation, r.disk.Local)
	}
	r.run(2 * time.Second)
	var started []Effect
	for _, e := range r.starts {
		started = append(started, e)
		if e.ID == "b" {
			t.Fatalf("stopped child b started again after recovery: %+v", e)
		}
	}
	if len(started) != 1 || started[0].ID != "a" || started[0].Epoch < acked["a"] {
		t.Fatalf("after recovery started %+v, want a at epoch >= %d", started, acked["a"])
	}
	if e := r.n.Lookup("a"); e == nil || e.Epoch < acked["a"] {
		t.Fatalf("recovered registry: %+v", e)
	}
	rep = r.request(Request{Op: OpStart, Specs: []ChildSpec{{ID: "b"}}, Start: StartOptions{Await: true}})
	if rep.Results[0].Err != "" || rep.Results[0].Epoch <= acked["b"]+1 {
		t.Fatalf("restart of stopped b: %+v, want a fresh epoch above its tombstone's %d", rep.Results[0], acked["b"]+1)
	}
}

// TestSnapshotRejectsCorruptState: a record whose key disagrees with its
// content, or with an impossible epoch, is refused (ErrCorruptSnapshot)
// instead of served.
func TestSnapshotRejectsCorruptState(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 5
	for name, s := range map[string]*Snapshot{
		"key mismatch": {Entries: map[ChildID]Entry{"a": {Spec: ChildSpec{ID: "b"}, Epoch: 1}}},
		"epoch zero":   {Entries: map[ChildID]Entry{"a": {Spec: ChildSpec{ID: "a"}}}},
		"local key":    {Local: map[ChildID]PersistedChild{"a": {ID: "b"}}},
	} {
		if _, err := NewNodeFromSnapshot(cfg, 1, s); !errors.Is(err, ErrCorruptSnapshot) {
			t.Errorf("%s: %v, want ErrCorruptSnapshot", name, err)
		}
	}
}

// TestNoPersistWithoutDurable: a node not in durable mode emits no
// persistence output (the in-memory library default).
func TestNoPersistWithoutDurable(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 1
	n, err := NewNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	n.Tick(Instant(time.Second))
	n.Request(Instant(time.Second), Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "a"}}})
	if r := n.Ready(); r.Persist != nil {
		t.Fatalf("Persist %+v without Config.Durable", r.Persist)
	}
}

// TestRecoveredNodeWaitsForItsLastView: after a crash of several nodes,
// the others' disks may hold newer versions, so a node recovered from a
// snapshot that names peers in its last view does not act alone after
// DownAfter (as a fresh node would): it waits for their state, giving a
// peer that never returns up after ForgetDownAfter.
func TestRecoveredNodeWaitsForItsLastView(t *testing.T) {
	snap := NewSnapshot()
	snap.Apply(&PersistBatch{Incarnation: 1, ViewChanged: true, View: []NodeID{"n2"},
		Entries: []Entry{{Spec: ChildSpec{ID: "a"}, Epoch: 3, Holder: "n2", By: "n2"}}})
	d := newSoloDriver(t, 2, snap, Instant(1000*time.Second))
	down, forget := d.n.Config().Timing.DownAfter, d.n.Config().Timing.ForgetDownAfter
	d.run(3 * down)
	if d.n.Readiness().Synced || len(d.starts) > 0 {
		t.Fatalf("recovered node acts alone %v after boot (synced %v, starts %v) although n2 of its last view may hold newer state",
			3*down, d.n.Readiness().Synced, d.starts)
	}
	d.run(forget)
	if !d.n.Readiness().Synced || len(d.starts) != 1 || d.starts[0].Epoch <= 3 {
		t.Fatalf("after ForgetDownAfter: synced %v, starts %+v; want the recovered child started above epoch 3", d.n.Readiness().Synced, d.starts)
	}

	// Without peers in its last view it acts after DownAfter, as any node.
	snap.View = nil
	snap.Incarnation = 5
	d = newSoloDriver(t, 6, snap, Instant(1000*time.Second))
	d.run(3 * down)
	if !d.n.Readiness().Synced || len(d.starts) != 1 {
		t.Fatalf("a node whose last view was itself alone: synced %v, starts %v", d.n.Readiness().Synced, d.starts)
	}
}

// TestEpochFloorSurvivesRecovery: epochs only grow across a full restart,
// also for a child whose tombstone expired — collected while the node ran
// (the floor is written with the tombstone's deletion) or found expired
// at boot (the floor is raised and written in the first batch). A start
// after recovery begins above the tombstone's epoch.
func TestEpochFloorSurvivesRecovery(t *testing.T) {
	for _, expireWhileDown := range []bool{false, true} {
		d := newSoloDriver(t, 1, nil, Instant(1000*time.Second))
		d.run(2 * time.Second)
		d.request(Request{Op: OpStart, Specs: []ChildSpec{{ID: "a"}}, Start: StartOptions{Await: true}})
		d.request(Request{Op: OpStop, IDs: []ChildID{"a"}, Stop: StopOptions{Await: true}})
		tomb := d.disk.Entries["a"].Epoch
		ttl := d.n.Config().Timing.TombstoneTTL
		disk, at, inc := cloneSnap(d.disk), d.now, uint64(2)
		if expireWhileDown {
			// Down past the TTL: the recovered node keeps the tombstone
			// until it may collect it (alone: once synced), then writes
			// its deletion with the floor; then it crashes again.
			at = at.Add(ttl + time.Second)
			r := newSoloDriver(t, inc, disk, at)
			if _, ok := r.disk.Entries["a"]; !ok {
				t.Fatalf("the expired tombstone was dropped at boot, before the node knew whether a member is away")
			}
			r.run(2*r.n.Config().Timing.DownAfter + 2*r.n.Config().Sync.Interval)
			disk, inc, at = cloneSnap(r.disk), inc+1, r.now
		} else {
			d.run(ttl + 2*d.n.Config().Sync.Interval)
			if d.n.EpochFloor() < tomb {
				t.Fatalf("floor %d after collecting a tombstone at epoch %d", d.n.EpochFloor(), tomb)
			}
			disk, at = cloneSnap(d.disk), d.now
		}
		if _, ok := disk.Entries["a"]; ok || disk.EpochFloor < tomb {
			t.Fatalf("expired while down %v: disk holds a=%v, floor %d; want the tombstone gone and a floor >= %d",
				expireWhileDown, ok, disk.EpochFloor, tomb)
		}
		r := newSoloDriver(t, inc, disk, at.Add(time.Second))
		r.run(2 * time.Second)
		rep := r.request(Request{Op: OpStart, Specs: []ChildSpec{{ID: "a"}}, Start: StartOptions{Await: true}})
		if rep.Results[0].Err != "" || rep.Results[0].Epoch <= tomb {
			t.Fatalf("expired while down %v: start after recovery %+v, want an epoch above the expired tombstone's %d",
				expireWhileDown, rep.Results[0], tomb)
		}
	}
}

// TestLostStateWaitsForItsSeeds: a node whose disk could not be read
// boots empty and, having forgotten its last view, does not act alone
// after DownAfter (it would answer "not found" for children its seeds
// hold on their disks while they are down); it waits for its seeds,
// giving up after ForgetDownAfter.
func TestLostStateWaitsForItsSeeds(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation, cfg.RandSeed, cfg.CheckInvariants = 3, 1, true
	cfg.Seeds = []NodeID{"n2"}
	fastTiming(&cfg)
	now := Instant(1000 * time.Second)
	n, err := NewNodeLostState(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	down, forget := cfg.Timing.DownAfter, cfg.Timing.ForgetDownAfter
	for end := now.Add(3 * down); now < end; now = now.Add(10 * time.Millisecond) {
		n.Tick(now)
		n.Ready()
	}
	if n.Readiness().Synced {
		t.Fatalf("a node that lost its state acts alone %v after boot although its seed n2 may hold the registry", 3*down)
	}
	for end := now.Add(forget); now < end; now = now.Add(10 * time.Millisecond) {
		n.Tick(now)
		n.Ready()
	}
	if !n.Readiness().Synced {
		t.Fatalf("still waiting for n2 after ForgetDownAfter (%v)", forget)
	}

	// Without seeds there is nobody to recover from: it boots as a fresh node.
	cfg.Seeds = nil
	n, err = NewNodeLostState(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	n.Tick(now.Add(down + time.Millisecond))
	if !n.Readiness().Synced {
		t.Fatalf("a lone node without seeds waits after a lost disk")
	}
}
