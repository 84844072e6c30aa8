package core

import (
	"errors"
	"fmt"
	"strings"
)

// Durable mode (Config.Durable): persistence is an output and recovery an
// input, as in etcd's raft (Ready.Entries / HardState, then a restart from
// Storage). core does no I/O: each Ready carries in Persist what changed
// in the node's durable state, and the driver must have made it durable
// (written and synced) before it acts on any other output of that Ready —
// messages, effects, replies or hooks. A node then never tells anyone
// (a peer, a client, a child through its epoch) about a registry version
// it could forget in a crash. Recovery is NewNodeFromSnapshot.

// PersistBatch is the change to a node's durable state made by the inputs
// of one Ready. Apply folds it into a Snapshot.
type PersistBatch struct {
	// Incarnation, when nonzero, is the node's incarnation to record. It
	// is set in the first Ready after the node is created, so a restarted
	// node can pick a higher one (Snapshot.NextIncarnation).
	Incarnation uint64
	// Entries are registry entries written or replaced (tombstones
	// included), sorted by child id, with Replicas empty.
	Entries []Entry
	// Deleted are entries dropped from the registry (expired tombstones),
	// sorted.
	Deleted []ChildID
	// Local are local instances started or changed in this batch, sorted
	// by child id: the last known state of this node's children.
	Local []PersistedChild
	// LocalGone are children that stopped running here, sorted.
	LocalGone []ChildID
	// View, when ViewChanged, is the node's new view of alive peers
	// (sorted, itself left out): the nodes a recovery waits for.
	View        []NodeID
	ViewChanged bool
	// EpochFloor, when nonzero, is the node's raised epoch floor
	// (epochfloor.go): written in the same batch as the deletion of the
	// tombstones whose collection raised it, so after any crash the
	// floor on disk is at least the epoch of every tombstone gone from it.
	EpochFloor uint64 `json:",omitempty"`
}

// Empty reports whether the batch changes nothing.
func (b *PersistBatch) Empty() bool {
	return b == nil || (b.Incarnation == 0 && len(b.Entries) == 0 && len(b.Deleted) == 0 && len(b.Local) == 0 && len(b.LocalGone) == 0 && !b.ViewChanged && b.EpochFloor == 0)
}

// PersistedChild is the last known state of a child running on this node.
type PersistedChild struct {
	ID       ChildID `json:"id"`
	Epoch    uint64  `json:"epoch"`
	Instance uint64  `json:"instance"`
	Active   bool    `json:"active,omitempty"`
}

// Snapshot is a node's durable state: everything it needs to recover.
// A store keeps one Snapshot (or a base snapshot plus batches) and folds
// every PersistBatch into it with Apply.
type Snapshot struct {
	// Incarnation is the last incarnation the node ran with.
	Incarnation uint64 `json:"inc"`
	// Entries holds the registry, tombstones included, by child id.
	Entries map[ChildID]Entry `json:"entries"`
	// Local holds the instances the node ran when it last wrote, by id.
	Local map[ChildID]PersistedChild `json:"local"`
	// View is the last view of alive peers the node wrote (sorted).
	View []NodeID `json:"view,omitempty"`
	// EpochFloor is the highest epoch floor the node wrote: fresh starts
	// after a recovery begin above it, so epochs only grow across a
	// full-cluster restart even for children whose tombstones expired.
	EpochFloor uint64 `json:"epoch_floor,omitempty"`
}

// NewSnapshot returns an empty snapshot.
func NewSnapshot() *Snapshot {
	return &Snapshot{Entries: map[ChildID]Entry{}, Local: map[ChildID]PersistedChild{}}
}

// Apply folds b into s. Applying the batches of every Ready in order to an
// empty snapshot yields the node's durable state.
func (s *Snapshot) Apply(b *PersistBatch) {
	if b == nil {
		return
	}
	if s.Entries == nil {
		s.Entries = map[ChildID]Entry{}
	}
	if s.Local == nil {
		s.Local = map[ChildID]PersistedChild{}
	}
	if b.Incarnation > s.Incarnation {
		s.Incarnation = b.Incarnation
	}
	for _, e := range b.Entries {
		s.Entries[e.Spec.ID] = e
	}
	for _, id := range b.Deleted {
		delete(s.Entries, id)
	}
	for _, c := range b.Local {
		s.Local[c.ID] = c
	}
	for _, id := range b.LocalGone {
		delete(s.Local, id)
	}
	if b.ViewChanged {
		s.View = append([]NodeID(nil), b.View...)
	}
	s.EpochFloor = max(s.EpochFloor, b.EpochFloor)
}

// Batch returns the whole snapshot as one batch (for a store that writes
// a fresh base): applying it to an empty snapshot yields s.
func (s *Snapshot) Batch() *PersistBatch {
	b := &PersistBatch{Incarnation: s.Incarnation, View: append([]NodeID(nil), s.View...), ViewChanged: true, EpochFloor: s.EpochFloor}
	for _, id := range sortedChildKeys(s.Entries) {
		b.Entries = append(b.Entries, s.Entries[id])
	}
	for _, id := range sortedChildKeys(s.Local) {
		b.Local = append(b.Local, s.Local[id])
	}
	return b
}

// NextIncarnation returns the incarnation a node recovering from s should
// use: want if it is higher than the recorded one, else one more than it.
func (s *Snapshot) NextIncarnation(want uint64) uint64 {
	if s == nil || want > s.Incarnation {
		return want
	}
	return s.Incarnation + 1
}

// ErrStaleIncarnation is returned by NewNodeFromSnapshot when the config's
// incarnation is not higher than the one the snapshot recorded: peers
// would take the restarted node for its previous life.
var ErrStaleIncarnation = errors.New("incarnation not higher than the recovered one")

// Validate reports a snapshot core cannot recover from (a record whose
// key disagrees with its content, an invalid spec), wrapping
// ErrCorruptSnapshot. A store that checksums its pages catches torn and
// corrupted writes first; this is the last line.
func (s *Snapshot) Validate() error {
	for id, e := range s.Entries {
		if e.Spec.ID != id {
			return fmt.Errorf("%w: entry under %q holds child %q", ErrCorruptSnapshot, id, e.Spec.ID)
		}
		if err := e.Spec.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrCorruptSnapshot, err)
		}
		if e.Epoch == 0 {
			return fmt.Errorf("%w: entry %q has epoch 0", ErrCorruptSnapshot, id)
		}
	}
	for id, c := range s.Local {
		if c.ID != id {
			return fmt.Errorf("%w: local child under %q holds %q", ErrCorruptSnapshot, id, c.ID)
		}
	}
	return nil
}

// ErrCorruptSnapshot names persisted state that cannot be trusted; the
// node must not boot from it (it recovers from its peers instead).
var ErrCorruptSnapshot = errors.New("corrupt persisted state")

// NewNodeFromSnapshot returns a durable node (cfg.Durable is implied)
// that recovers from snap, its state persisted before a crash or stop.
// The registry starts as the snapshot's (entries with their epochs and
// tombstones; a tombstone already expired on the grid, tombstone_grid.go,
// raises the epoch floor and stays until the node may collect it,
// tombstone_gc.go), so the versions the node acknowledged survive even if every node crashed at
// once. As after any restart, the node acts on that registry (serves
// owner requests, restarts children) only after a full state exchange
// with every peer it can reach — or alone once DownAfter has passed with
// no peer — and every version it recovered merges with the peers' by
// (epoch, tombstone, writer): the live cluster's newer state wins. Its
// previous instances are gone with the crash: the recovered children are
// started again where the ring places them, at a higher epoch.
//
// After a crash of several nodes, the others' disks may hold newer
// versions than this one (they acknowledged while this node was down). So
// a recovered node also waits for a full state exchange with every peer
// of the view it last persisted — they come back from their own disks —
// before it acts; a peer that never returns is given up after
// Timing.ForgetDownAfter, as the cluster forgets a member down that long.
//
// cfg.Incarnation must be higher than snap.Incarnation
// (ErrStaleIncarnation; Snapshot.NextIncarnation picks one). A nil or
// empty snapshot boots a fresh durable node.
func NewNodeFromSnapshot(cfg Config, now Instant, snap *Snapshot) (*Node, error) {
	cfg.Durable = true
	if snap != nil {
		if cfg.Incarnation <= snap.Incarnation {
			return nil, fmt.Errorf("core: %w: config %d, snapshot %d", ErrStaleIncarnation, cfg.Incarnation, snap.Incarnation)
		}
		if err := snap.Validate(); err != nil {
			return nil, err
		}
	}
	n, err := NewNode(cfg, now)
	if err != nil {
		return nil, err
	}
	if snap == nil {
		return n, nil
	}
	n.remembers = true // it acknowledged nothing it did not persist
	cut := n.tombstoneCutoff()
	n.reg.epochFloor = snap.EpochFloor
	n.persist.floor = snap.EpochFloor
	if cfg.Broken.VolatileEpochFloor {
		n.reg.epochFloor, n.persist.floor = 0, 0
	}
	for _, id := range sortedChildKeys(snap.Entries) {
		e := snap.Entries[id]
		if tombstoneExpired(&e, cut) {
			// Expired while the node was down, by the grid rule every
			// other path uses (as if it arrived from a peer now,
			// applyEntries): kept until the node may collect it
			// (tombstone_gc.go) — a member still away may hold the
			// child's older live version.
			n.raiseEpochFloor(e.Epoch)
		}
		e.Replicas = nil
		n.reg.put(&e)
		n.registryChanged(id) // drivers' lookup indexes learn it too
	}
	// The previous life's instances died with it: the store forgets them
	// in the first batch. They are recorded again once restarted.
	for _, id := range sortedChildKeys(snap.Local) {
		n.persist.local[id] = struct{}{}
	}
	n.restoreQuorumMembers(snap.View) // quorum_members.go
	for _, p := range snap.View {
		if p != cfg.Name {
			n.persist.waitFor = append(n.persist.waitFor, p)
		}
	}
	if len(n.persist.waitFor) > 0 {
		n.synced = false // NewNode found no peer yet; the wait decides
		n.holdRecoveryCordon()
	}
	clear(n.reg.persistDirty) // already on disk
	n.recovered = len(snap.Entries)
	n.markAllDirty()
	return n, nil
}

// NewNodeLostState returns a durable node whose persisted state could not
// be read (a read error, a checksum mismatch: ErrCorruptSnapshot). It
// boots empty and never serves the lost state; it recovers the registry
// from its peers. Having forgotten its last view, it waits — before it
// serves or starts anything — for a full state exchange with every
// configured seed (a seed that is a node name or a member's address; a
// "dns:" seed cannot be told apart and counts once some peer has synced),
// and for at least one peer: a lone empty node acting after DownAfter, as
// a fresh node does, would answer "not found" for children the seeds hold
// on their disks while they are down. A seed that never returns is given
// up after Timing.ForgetDownAfter. Without seeds it boots as a fresh node.
func NewNodeLostState(cfg Config, now Instant) (*Node, error) {
	n, err := NewNodeFromSnapshot(cfg, now, nil)
	if err != nil {
		return nil, err
	}
	for _, s := range cfg.Seeds {
		if s != cfg.Name && s != NodeID(cfg.AdvertiseAddr) {
			n.persist.lost = true
			n.synced = false
		}
	}
	if n.persist.lost {
		n.holdRecoveryCordon()
	}
	return n, nil
}

// lostStateRecovered reports whether a node booted with NewNodeLostState
// has had a full sync from every seed and from at least one peer.
func (n *Node) lostStateRecovered() bool {
	heard := false
	for _, p := range n.members.peers() {
		heard = heard || n.syncedFrom[p]
	}
	if !heard {
		return false
	}
	for _, s := range n.cfg.Seeds {
		if s == n.cfg.Name || s == NodeID(n.cfg.AdvertiseAddr) || strings.HasPrefix(string(s), "dns:") {
			continue
		}
		synced := false
		for _, p := range n.members.peers() {
			if p == s || NodeID(n.members.members[p].Addr) == s {
				synced = synced || n.syncedFrom[p]
			}
		}
		if !synced {
			return false
		}
	}
	return true
}

// Recovered returns how many registry entries the node recovered from its
// snapshot (0 for a node created without one).
func (n *Node) Recovered() int { return n.recovered }

// persistState tracks what changed in the durable state since the last
// Ready (durable mode only).
type persistState struct {
	incarnation bool
	// deleted: entries the registry may have dropped (also filled from
	// registry.persistDirty at Ready); local: local children that changed.
	deleted map[ChildID]struct{}
	local   map[ChildID]struct{}
	// view: the view changed since the last Ready
	view bool
	// waitFor: the peers of the recovered view, whose full sync a
	// recovered node awaits before it is synced (awaitingRecovery)
	waitFor []NodeID
	// floor: the epoch floor last written
	floor uint64
	// lost: booted after its persisted state was lost (NewNodeLostState);
	// it waits for every seed's full sync
	lost bool
	// cordoned: the node holds a cordon for its recovery wait
	// (holdRecoveryCordon), lifted when the wait ends
	cordoned bool
}

// awaitingRecovery reports whether a recovered node still waits for the
// full sync of a peer of its persisted view (checkSynced).
func (n *Node) awaitingRecovery() bool {
	ps := &n.persist
	if len(ps.waitFor) == 0 && !ps.lost {
		return false
	}
	if n.now.Sub(n.bootedAt) >= n.cfg.Timing.ForgetDownAfter {
		ps.waitFor, ps.lost = nil, false // given up: such a member would be forgotten
		ps.view = true                   // the disk held the awaited peers too
		return false
	}
	if ps.lost {
		if !n.lostStateRecovered() {
			return true
		}
		ps.lost = false
	}
	for _, p := range ps.waitFor {
		if !n.syncedFrom[p] {
			return true
		}
	}
	ps.waitFor = nil
	ps.view = true // the disk held the awaited peers too (takePersist)
	return false
}

func newPersistState() persistState {
	return persistState{incarnation: true, deleted: map[ChildID]struct{}{}, local: map[ChildID]struct{}{}}
}

func (n *Node) markAllDirty() {
	n.dirty, n.dirtyAll = true, true
}

// notePersistLocal records the local children whose claims changed in
// this input (durable mode). It runs in finish before flushClaims, whose
// pending claims name every local start, restart, signal and stop.
func (n *Node) notePersistLocal() {
	if !n.cfg.Durable {
		return
	}
	for _, c := range n.pendingClaims {
		n.persist.local[c.ID] = struct{}{}
	}
}

// takePersist builds Ready.Persist from everything that changed since the
// last Ready, once per Ready (sorted, one record per child).
func (n *Node) takePersist() *PersistBatch {
	if !n.cfg.Durable {
		return nil
	}
	ps := &n.persist
	dirty := n.reg.persistDirty
	floor := n.reg.epochFloor > ps.floor && !n.cfg.Broken.VolatileEpochFloor
	if !ps.incarnation && len(dirty) == 0 && len(ps.deleted) == 0 && len(ps.local) == 0 && !ps.view && !floor {
		return nil
	}
	b := &PersistBatch{}
	if floor {
		b.EpochFloor, ps.floor = n.reg.epochFloor, n.reg.epochFloor
	}
	if ps.view {
		ps.view = false
		b.ViewChanged = true
		for _, p := range n.members.view {
			if p != n.cfg.Name {
				b.View = append(b.View, p)
			}
		}
		// While a recovery still waits for the peers of its last view, the
		// disk keeps naming them: a crash during the wait must not leave
		// a view the next recovery would not wait for (durable seed 30:
		// a node that booted, wrote itself alone and crashed came back
		// with view [] and acted without its peers' newer state).
		for _, p := range ps.waitFor {
			if !containsNode(b.View, p) {
				b.View = append(b.View, p)
			}
		}
		sortedNodes(b.View)
	}
	if ps.incarnation {
		b.Incarnation = n.cfg.Incarnation
		ps.incarnation = false
	}
	for id := range dirty {
		ps.deleted[id] = struct{}{} // decided below: written or deleted
	}
	for _, id := range sortedChildKeys(ps.deleted) {
		if n.reg.has(id) {
			b.Entries = n.reg.appendEntries(b.Entries, []ChildID{id})
		} else {
			b.Deleted = append(b.Deleted, id)
		}
	}
	for _, id := range sortedChildKeys(ps.local) {
		if c, ok := n.local[id]; ok {
			b.Local = append(b.Local, PersistedChild{ID: id, Epoch: c.epoch, Instance: c.instance, Active: c.active})
		} else {
			b.LocalGone = append(b.LocalGone, id)
		}
	}
	clear(ps.deleted)
	clear(ps.local)
	clear(dirty)
	return b
}

// holdRecoveryCordon cordons a node that starts a recovery wait
// (awaitingRecovery), before it meets any peer: its own record says so
// from its first message on, so every ring, its own included, leaves it
// out while it cannot run children, and the children its peers took
// over when it crashed keep running there (durable2's scenario: they
// used to be stopped at once by cold swap and run nowhere for the whole
// wait, up to ForgetDownAfter; TestRecoveryWaitLeavesTheNodeOffTheRing).
// A restart starts uncordoned, so this cordon is the node's only one.
func (n *Node) holdRecoveryCordon() {
	if n.members.setOwnCordon(true) {
		n.members.setOwnRecovering(true) // membership.go
		n.persist.cordoned = true
		n.setRingFromView()
	}
}

// endRecoveryCordon lifts the recovery wait's cordon once the wait has
// ended (checkSynced), through the uncordon path: the node takes
// children only after a fresh sync from every peer that knew the
// uncordon (setCordon), so no child runs twice under cold swap. A cordon
// requested during the wait stays (ownerCordon).
func (n *Node) endRecoveryCordon() {
	if n.persist.cordoned {
		n.persist.cordoned = false
		n.setCordon(false)
	}
}
