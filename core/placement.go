package core

import (
	"fmt"
	"slices"
)

// reconcileWork is the children awaiting reconciliation: all of them
// after a view change (dirtyAll), else the ids in dirtyIDs, in the order
// they were marked.
type reconcileWork struct {
	dirty         bool
	dirtyAll      bool
	dirtyIDs      map[ChildID]struct{}
	dirtyRoom     int // ids dirtyIDs has room for (roomInSet, changes.go)
	dirtyOrder    []ChildID
	lastReconcile Instant
	// spareOrder is an id buffer no one uses: the next reconcile takes it
	// for its dirty ids or its copy of every id, so they are not
	// allocated anew at every input (bounded by maxReusedSet).
	spareOrder []ChildID
	plBuf      []NodeID // buffer of placementScratch, reused per child
	plPrev     []NodeID // buffer of hookChildrenRedistribution's old placements
	// sweepRound numbers the periodic round's sweeps, sweepBuf is the
	// sweep's reused buffer (syncround.go).
	sweepRound int
	sweepBuf   []sweepItem
	// sweepRepairs counts the sweep's reconciliations that did something
	// no mark covered (syncround.go; Stats, not a table: it grows).
	sweepRepairs int
}

// factor returns the effective replication factor for the current view.
func (n *Node) factor() int {
	f := n.cfg.Redundancy.Factor
	if f == ClusterSize {
		return len(n.ring.nodes) // every placeable node (cordon.go)
	}
	return f
}

// placement returns the nodes that should run e: the guided mapping if
// pinned, else the first factor ring successors of its id.
func (n *Node) placement(e *Entry) []NodeID {
	if len(e.Pinned) > 0 {
		return e.Pinned
	}
	return n.ring.successors(nil, e.Spec.ID, n.factor())
}

// placementScratch is placement in a buffer reused by the next call:
// callers must not keep the slice.
func (n *Node) placementScratch(e *Entry) []NodeID {
	if len(e.Pinned) > 0 {
		return e.Pinned
	}
	n.plBuf = n.ring.successors(n.plBuf[:0], e.Spec.ID, n.factor())
	return n.plBuf
}

// ownerFor returns the node that owns a child with the given guided pins.
func (n *Node) ownerFor(id ChildID, pinned []NodeID) NodeID {
	if len(pinned) > 0 {
		return pinned[0]
	}
	if o := n.ring.first(id); o != "" {
		return o
	}
	return n.cfg.Name
}

// ownerOf returns the owner of a known or unknown child id.
func (n *Node) ownerOf(id ChildID) NodeID {
	return n.ownerFor(id, n.reg.pinnedOf(id)) // stopcost.go: no entry copy
}

func (n *Node) startOwner(id ChildID, mapping map[ChildID][]NodeID) NodeID {
	return n.ownerFor(id, mapping[id])
}

// BelongsTo returns the first k nodes of id's preference list (ProcessHub's
// belongs_to): a prefix of BelongsTo(id, m) for every m > k.
func (n *Node) BelongsTo(id ChildID, k int) []NodeID {
	return n.ring.successors(nil, id, k)
}

// validateGuided checks a guided start's child mapping. ProcessHub's
// checks come first, in ProcessHub's order (Guided.validate_child_init):
// no mapping → ErrMissingChildMapping; a spec id that is not a key of the
// mapping → ErrChildMappingMismatch; any mapping entry (extra keys
// included) whose length differs from the replication factor →
// ErrChildReplicationMismatch. (ProcessHub's "not a map" check cannot
// fail in Go.) phub then rejects what ProcessHub lets through and later
// runs into: an empty or repeated node, or a node this node has never
// heard of → ErrInvalidChildMapping. A member that is down is accepted:
// guided children are bound to their nodes and start there when it
// returns.
func (n *Node) validateGuided(specs []ChildSpec, mapping map[ChildID][]NodeID) error {
	if n.cfg.Distribution.Kind != Guided {
		return nil
	}
	if mapping == nil {
		return ErrMissingChildMapping
	}
	for _, s := range specs {
		if _, ok := mapping[s.ID]; !ok {
			return fmt.Errorf("%w: no nodes for %q", ErrChildMappingMismatch, s.ID)
		}
	}
	ids := sortedChildKeys(mapping) // the first offender is named deterministically
	for _, id := range ids {
		if len(mapping[id]) != n.factor() {
			return fmt.Errorf("%w: %q has %d nodes, replication factor is %d", ErrChildReplicationMismatch, id, len(mapping[id]), n.factor())
		}
	}
	for _, id := range ids {
		seen := map[NodeID]bool{}
		for _, nd := range mapping[id] {
			if nd == "" || seen[nd] {
				return fmt.Errorf("%w: child %q: empty or repeated node", ErrInvalidChildMapping, id)
			}
			seen[nd] = true
			if _, known := n.members.members[nd]; !known {
				return fmt.Errorf("%w: child %q: node %q is not a member of the cluster", ErrInvalidChildMapping, id, nd)
			}
		}
	}
	return nil
}

// master returns the active replica's node in active/passive mode: the sum
// of the id's code points modulo the number of (sorted) placement nodes.
func master(id ChildID, nodes []NodeID) NodeID {
	if len(nodes) == 0 {
		return ""
	}
	s := sortedNodes(append([]NodeID(nil), nodes...))
	sum := 0
	for _, r := range string(id) {
		sum += int(r)
	}
	return s[sum%len(s)]
}

func (n *Node) shouldBeActive(e *Entry) bool {
	if n.cfg.Redundancy.Mode == ActiveActive {
		return true
	}
	return master(e.Spec.ID, n.masterCandidates(e)) == n.cfg.Name
}

func (n *Node) signal(c *localChild) {
	s := n.cfg.Redundancy.Signal
	if s == SignalAll || (s == SignalActive && c.active) || (s == SignalPassive && !c.active) {
		n.effect(Effect{Kind: EffectSignal, ID: c.spec.ID, Instance: c.instance, Epoch: c.epoch, Active: c.active})
	}
}

// viewChanged reacts to a member going up or down.
func (n *Node) viewChanged(dir string, node NodeID) {
	if !n.members.recompute() {
		return
	}
	n.persist.view = true // durable mode writes it (persist.go)
	n.hook(HookPreNodesRedistribution, node, nil, dir)
	// Lookups filter replicas by liveness: every child the node claims
	// changes its visible replicas, and fires a remove hook when the node
	// goes (ProcessHub fires none: NOTES.md §6 quirk 3) or an insert hook
	// when it comes back with its claims (a healed partition).
	for _, id := range n.reg.claimIDs(node) {
		n.claimChanged(node, id, dir == "up")
	}
	before := n.placementsBefore()
	n.setRingFromView() // ring_view.go
	n.hookChildrenRedistribution(before, node, dir)
	n.updateQuorum(dir, node)
	n.dirtyAll = true
	n.reconcile()
	n.hook(HookPostNodesRedistribution, node, nil, dir)
}

func (n *Node) onViewChange() {
	n.setRingFromView() // ring_view.go
	n.updateQuorum("init", n.cfg.Name)
	n.dirtyAll = true
	n.persist.view = true // durable mode writes it (persist.go)
}

// markDirty schedules id for reconciliation. Dirty ids are reconciled in
// the order they were marked, which is deterministic (it follows the
// order of inputs), so no sort is needed.
func (w *reconcileWork) markDirty(id ChildID) {
	if w.dirtyIDs == nil {
		w.dirtyIDs = map[ChildID]struct{}{}
	}
	k := len(w.dirtyIDs)
	w.dirtyIDs[id] = struct{}{}
	if len(w.dirtyIDs) > k { // new: one hash, not a lookup and an insert
		w.dirtyOrder = append(w.dirtyOrder, id)
	}
	w.dirty = true
}

// reconcile makes the local instances match the placement of the
// registry: start what belongs here, release what does not.
func (n *Node) reconcile() {
	n.lastReconcile = n.now
	spare := n.spareOrder
	n.spareOrder = nil // taken: a nested reconcile must not share it
	var ids, sorted []ChildID
	var slots []uint32 // a full pass: the slot of each of sorted
	if n.dirtyAll {
		sorted, slots = n.reg.ids(), n.reg.sortedSlots
		ids = append(spare[:0], sorted...) // a copy: we append below
		spare = n.dirtyOrder               // covered by every id
		// Local children the registry does not know (rare), sorted: only
		// they are sorted, not every local child at every view change.
		unknown := len(ids)
		for id := range n.local {
			if !n.reg.has(id) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids[unknown:])
	} else {
		ids = n.dirtyOrder
	}
	n.dirty, n.dirtyAll, n.dirtyIDs, n.dirtyOrder = false, false, reuseSetRoom(n.dirtyIDs, &n.dirtyRoom), reuseIDs(spare)
	var migrated []ChildID
	for i, id := range ids {
		var moved bool
		if i < len(slots) && n.reg.sortedIs(sorted) { // keyorder.go
			rec, active := n.reg.activeAt(slots[i])
			moved = n.reconcileRec(id, rec, active)
		} else {
			moved = n.reconcileOne(id)
		}
		if moved {
			migrated = append(migrated, id)
		}
	}
	n.spareOrder = reuseIDs(ids)
	if len(migrated) > 0 {
		n.hook(HookChildrenMigrated, n.cfg.Name, migrated, string(n.cfg.Migration.Kind))
	}
}

// reuseIDs empties an id buffer for reuse if it is small enough
// (maxReusedSet), else drops it.
func reuseIDs(ids []ChildID) []ChildID {
	if cap(ids) > maxReusedSet {
		return nil
	}
	return ids[:0]
}

// reconcileOne reconciles one child; it reports a completed migration away.
func (n *Node) reconcileOne(id ChildID) bool {
	rec, active := n.reg.activeRecord(id)
	return n.reconcileRec(id, rec, active)
}

// reconcileRec is reconcileOne given id's record (activeRecord's
// results).
func (n *Node) reconcileRec(id ChildID, rec record, active bool) bool {
	c := n.local[id]
	if !active || n.quorum.partitioned || n.left {
		if c != nil {
			n.stopLocal(id)
		}
		return false
	}
	if n.leaving {
		return false // the leave procedure hands over and stops
	}
	var pl []NodeID         // not retained: reconcile is a hot path
	ringPlaced := !rec.rare // no rare fields: not pinned
	if ringPlaced {
		n.plBuf = n.ring.successors(n.plBuf[:0], id, n.factor())
		pl = n.plBuf
		if c == nil && !containsNode(pl, n.cfg.Name) {
			return false // neither here nor placed here (most children): no entry copy
		}
	}
	var cur Entry // filled in place: reconcile is a hot path
	e := &cur
	n.reg.fill(e, id, rec)
	if !ringPlaced {
		pl = n.placementScratch(e)
	}
	if containsNode(pl, n.cfg.Name) {
		if c == nil {
			if n.deferredStart(id) {
				return false // its owner round starts it (guided_conflict.go)
			}
			if n.ready() && !n.backingOff(e) {
				n.maybeStart(e, pl) // never on a partial or stale view
			} // else: becoming synced reconciles everything

			return false
		}
		n.keepReturned(c) // a handover away that has not completed is off
		if n.renewStaleGeneration(e, c, pl) {
			return false
		}
		if want := n.shouldBeActive(e); want != c.active {
			c.active = want
			n.claimLocal(c)
			n.signal(c)
		}
		return false
	}
	if c == nil {
		return false
	}
	return n.release(e, c, pl)
}

// maybeStart starts e here unless a cold swap must wait for the current
// holder to let go first.
func (n *Node) maybeStart(e *Entry, pl []NodeID) {
	id := e.Spec.ID
	oldHolderAlive := false
	if len(e.Pinned) == 0 {
		for _, p := range n.members.peers() {
			if containsNode(pl, p) {
				continue
			}
			if _, ok := n.reg.claim(p, id); ok {
				oldHolderAlive = true
			}
		}
	}
	if oldHolderAlive && n.cfg.Migration.Kind == ColdSwap {
		return // wait for the old holder to stop it
	}
	if n.stillExiting(id) {
		return // an instance stopped here may still run (exiting.go)
	}
	if pl[0] == n.cfg.Name && e.Holder != n.cfg.Name {
		// Takeover: a new generation, so the old holder's epoch is fenced.
		t := e.Clone()
		t.Epoch++
		t.Holder = n.cfg.Name
		t.By = n.cfg.Name
		t.Replicas = nil
		n.reg.put(t)
		n.registryChanged(id)
		n.pushEntry(t)
		e = t
	}
	_, stashed := n.migr.stash[id] // given at the start: not awaiting it
	n.startLocal(e, nil)
	if c := n.local[id]; c != nil && oldHolderAlive && n.cfg.Migration.Handover && !stashed {
		c.awaitingState = true
	}
}

// pushEntry sends a new entry version to every alive peer, unacknowledged.
func (n *Node) pushEntry(e *Entry) {
	n.pendingEntries = append(n.pendingEntries, *e)
}

// release gives up a local instance that no longer belongs here.
func (n *Node) release(e *Entry, c *localChild, pl []NodeID) bool {
	id := e.Spec.ID
	if n.cfg.Migration.Kind == ColdSwap || len(e.Pinned) > 0 {
		n.stopLocalAwaitExit(id) // the claim goes once it is gone (exiting.go)
		return true
	}
	// Hot swap: wait until a new holder claims it, then hand over.
	var to NodeID
	var toClaim Claim
	for _, p := range pl {
		// A member that came back and whose full sync is still awaited
		// may show a claim it dropped while away: not its claim yet.
		if cl, ok := n.reg.claim(p, id); ok && n.members.alive(p) && !n.needSync[p] {
			to, toClaim = p, cl
			break
		}
	}
	if to == "" {
		return false
	}
	if (toClaim.Epoch < c.epoch && !n.migr.handedOverBy(id, to, toClaim)) || (c.awaitingState && (n.predecessorAlive(c) || n.cfg.Broken.AwaitCrashedHolder)) {
		// Ours is a newcomer (a takeover on a partial view, or one still
		// waiting for the original's state): it has nothing to hand on
		// and must not overwrite the original's state, so it just stops.
		// An older claim whose instance handed its state to ours is no
		// original but a stale claim (handedOverBy): ours hands back.
		n.stopLocal(id)
		return true
	}
	return n.beginHandover(c, to)
}

// ringBefore is the ring and replication factor that placed children
// before a view or cordon change: a copy of the ring, which is a
// snapshot because a ring never changes its points or index in place
// (ring.go: a rebuild allocates new ones).
type ringBefore struct {
	r ring
	k int
}

// placementsBefore records the ring before a change, for
// hookChildrenRedistribution. (It replaced a map of every local child's
// placement, built with an entry copy per child at every view change.)
func (n *Node) placementsBefore() ringBefore {
	k := n.cfg.Redundancy.Factor
	if k == ClusterSize {
		k = len(n.ring.nodes) // the factor of the ring being replaced
	}
	if len(n.local) > 0 {
		n.ring.build() // else nothing asks: a burst of changes builds once
	}
	return ringBefore{r: *n.ring, k: k}
}

// hookChildrenRedistribution fires pre_children_redistribution (ProcessHub's
// hook of the same name) for the local children that the ring places
// (guided children are pinned and never move) and whose placement the
// view change of node (dir "up", "down" or "left") moves, before any of
// them is started elsewhere or released here, sorted by id. before is the
// ring before the change.
func (n *Node) hookChildrenRedistribution(before ringBefore, node NodeID, dir string) {
	var moved []ChildID
	k := n.factor()
	for id := range n.local {
		if !n.reg.ringPlaced(id) {
			continue
		}
		n.plPrev = before.r.successors(n.plPrev[:0], id, before.k)
		n.plBuf = n.ring.successors(n.plBuf[:0], id, k)
		if !sameNodes(n.plPrev, n.plBuf) {
			moved = append(moved, id)
		}
	}
	if len(moved) > 0 {
		slices.Sort(moved)
		n.hook(HookPreChildrenRedist, node, moved, dir)
	}
}

// activeRecord returns id's record and whether it is an entry that is
// not a tombstone (active without the entry copy).
func (r *registry) activeRecord(id ChildID) (record, bool) {
	rec, ok := r.rec(id)
	return rec, ok && !rec.stopped
}

// ringPlaced reports whether id has an entry that is not a tombstone and
// not pinned by a guided start: a child the ring places.
func (r *registry) ringPlaced(id ChildID) bool {
	rec, ok := r.rec(id)
	return ok && !rec.stopped && (!rec.rare || len(r.rare[id].pinned) == 0)
}

func sameNodes(a, b []NodeID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
