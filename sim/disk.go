package sim

import (
	"math/rand/v2"
	"time"

	"github.com/phub/phub/core"
)

// disk is a node's simulated, crash-consistent disk (durable mode). It
// holds what was synced (a snapshot) and what was written since the last
// sync. The driver writes a Ready's Persist batch and syncs it before it
// acts on anything else of that Ready, as the runtime's store does.
//
// Storage faults (drawn per seed, DiskFaults):
//   - at a crash, unsynced writes are lost: a random prefix of them
//     reaches the platter, and the write after that prefix may be torn —
//     the store's record checksum finds a torn record and drops it with
//     everything after it, so recovery sees a prefix of the writes;
//   - a read error at boot: the node cannot read its state, says so, and
//     boots empty (it recovers from its peers);
//   - a corrupted page: the checksum catches it at boot; the node says so
//     and boots empty, never from the corrupt state;
//   - a full disk: a write fails, and the node stops at once (fail-stop,
//     as etcd does on a failed fsync) without releasing the outputs the
//     write was to support: no acknowledgement is given that is not
//     durable. It boots again once space is back.
type disk struct {
	synced   *core.Snapshot
	unsynced []*core.PersistBatch
	// faults armed for the next read (boot) and writes
	readError bool
	corrupt   bool
	full      bool
	// lies: syncs keep nothing (Options.DiskLies, test-only)
	lies bool
	// counters for the trace and coverage
	writes, syncs int
}

func newDisk() *disk { return &disk{synced: core.NewSnapshot()} }

// write appends b to the unsynced writes; it fails if the disk is full.
func (d *disk) write(b *core.PersistBatch) bool {
	if d.full {
		return false
	}
	d.unsynced = append(d.unsynced, b)
	d.writes++
	return true
}

// sync makes every write durable.
func (d *disk) sync() {
	if d.lies {
		d.unsynced = nil
		return
	}
	for _, b := range d.unsynced {
		d.synced.Apply(b)
	}
	d.unsynced = nil
	d.syncs++
}

// crash loses unsynced writes, except a random prefix that reached the
// disk before the power went (a torn write after it is dropped by the
// checksum, with everything after it). It returns how many survived.
func (d *disk) crash(r *rand.Rand) int {
	keep := 0
	if len(d.unsynced) > 0 {
		keep = r.IntN(len(d.unsynced) + 1)
	}
	for _, b := range d.unsynced[:keep] {
		d.synced.Apply(b)
	}
	d.unsynced = nil
	return keep
}

// read returns the state to recover from, or the error a real store
// would report: a read error, or a checksum mismatch. A failed read loses
// the state for good: the node starts empty and rewrites it.
func (d *disk) read() (*core.Snapshot, error) {
	switch {
	case d.readError:
		d.readError = false
		d.synced = core.NewSnapshot()
		return nil, errDiskRead
	case d.corrupt:
		d.corrupt = false
		d.synced = core.NewSnapshot()
		return nil, errDiskCorrupt
	}
	return cloneSnapshot(d.synced), nil
}

// cloneSnapshot copies the maps so a node never shares the disk's state.
func cloneSnapshot(s *core.Snapshot) *core.Snapshot {
	c := &core.Snapshot{Incarnation: s.Incarnation, EpochFloor: s.EpochFloor, View: append([]core.NodeID(nil), s.View...), Entries: make(map[core.ChildID]core.Entry, len(s.Entries)), Local: make(map[core.ChildID]core.PersistedChild, len(s.Local))}
	for k, v := range s.Entries {
		c.Entries[k] = v
	}
	for k, v := range s.Local {
		c.Local[k] = v
	}
	return c
}

type diskError string

func (e diskError) Error() string { return string(e) }

const (
	errDiskRead    = diskError("disk read error")
	errDiskCorrupt = diskError("checksum mismatch: corrupted page")
)

// newNode creates the node of a boot: in durable mode it recovers from
// the node's disk (an unreadable or corrupt disk is reported in the trace
// and the node boots empty, recovering from its peers).
func (s *Sim) newNode(sn *simNode, cfg core.Config) (*core.Node, error) {
	now := s.localTime(sn)
	if !s.opts.Durable {
		return core.NewNode(cfg, now)
	}
	cfg.Durable = true
	snap, err := sn.disk.read()
	if err != nil {
		s.tracef(TraceEvent{Kind: "disk", Node: string(sn.name)}, "%s: %v: boots empty and recovers from peers", sn.name, err)
		s.cover(CoverDiskFaultDetected)
		return core.NewNodeLostState(cfg, now)
	}
	n, err := core.NewNodeFromSnapshot(cfg, now, snap)
	if err == nil && snap != nil && snap.Incarnation > 0 {
		s.tracef(TraceEvent{Kind: "recover", Node: string(sn.name)}, "%s: %d entries, last view %v", sn.name, n.Recovered(), snap.View)
	}
	return n, err
}

// persist writes and syncs a Ready's Persist batch before the driver acts
// on the rest of the Ready. It reports false if the node stopped instead
// (a full disk, or a crash between write and sync).
func (s *Sim) persist(sn *simNode, b *core.PersistBatch) bool {
	if b.Empty() {
		return true
	}
	if !sn.disk.write(b) {
		s.tracef(TraceEvent{Kind: "disk", Node: string(sn.name)}, "%s: write failed, disk full: the node stops without releasing the batch", sn.name)
		s.cover(CoverDiskFull)
		name := sn.name
		s.Crash(name)
		s.at(max(sn.diskFullUntil, s.now)+1, func() {
			if !s.Up(name) {
				s.Restart(name)
			}
		})
		return false
	}
	if s.fire(SiteCrashBeforeSync) {
		name := sn.name
		s.Crash(name)
		s.after(s.crashDowntime(), func() {
			if !s.Up(name) {
				s.Restart(name)
			}
		})
		return false
	}
	sn.disk.sync()
	return true
}

// fillDisk makes a node's disk full for d: its next write fails.
func (s *Sim) fillDisk(name core.NodeID, d time.Duration) {
	sn := s.nodes[name]
	if sn == nil {
		return
	}
	s.tracef(TraceEvent{Kind: "disk", Node: string(name)}, "%s: full for %v", name, d)
	sn.disk.full = true
	sn.diskFullUntil = s.now.Add(d)
	s.after(d, func() { sn.disk.full = false })
}

// crashDowntime is how long a node stays down after a buggify crash.
func (s *Sim) crashDowntime() time.Duration {
	if p := s.opts.Profile; p != nil {
		return max(time.Second, p.Timing.DownAfter/2)
	}
	return time.Second
}
