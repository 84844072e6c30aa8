package core

// Per-input output work, kept small because it runs for every child a
// start or stop touches on every node: registry changes are built for
// the driver's index only as far as it reads them, and the sets that
// deduplicate a batch's ids are reused from batch to batch instead of
// grown anew each time.

// changeEntry returns the entry a registry change of id carries: the
// current view, or nil when the child is removed, or stopped and the
// driver keeps live entries only (Config.LiveChanges). src holds the
// batch's view inputs (viewsources.go); the entry is looked up once, and
// carved from src's slab, left being the changes the flush still builds
// with this one.
func (n *Node) changeEntry(id ChildID, src *viewSources, left int) *Entry {
	src.slab.left = left
	return n.reg.viewWith(id, src, n.cfg.LiveChanges)
}

// maxReusedSet bounds the ids a deduplication set may have held to be
// kept for the next batch: clearing a map costs its capacity, so a set
// grown by one huge batch is dropped rather than cleared after every
// small one.
const maxReusedSet = 1 << 14

// reuseSet empties set for the next batch: cleared and kept if it is
// small enough (clearing costs its capacity), else dropped.
func reuseSet(set map[ChildID]struct{}) map[ChildID]struct{} {
	if len(set) > maxReusedSet {
		return nil
	}
	clear(set)
	return set
}

// reuseSetRoom is reuseSet for a set whose room is tracked in *room (the
// most ids it was made for or has held since it was made): kept, its
// room covers the ids it held; dropped, it has none.
func reuseSetRoom(set map[ChildID]struct{}, room *int) map[ChildID]struct{} {
	*room = max(*room, len(set))
	set = reuseSet(set)
	if set == nil {
		*room = 0
	}
	return set
}

// roomInSet returns set with room for k more ids: set itself when its
// room (*room, as reuseSetRoom tracks it) covers them, else a copy made
// for them. A bulk start or replication marks every child it writes
// changed and dirty, and sets grown by doubling through them rehashed
// every table on the way (an awaited 10,000-child start on a fresh
// cluster: 4.5 of core's 46 MB); a set kept from an earlier batch of
// that size has the room already and is not copied.
func roomInSet(set map[ChildID]struct{}, room *int, k int) map[ChildID]struct{} {
	need := len(set) + k
	if need <= *room || k <= len(set) {
		return set // room enough, or the batch would not double the set
	}
	r := make(map[ChildID]struct{}, need)
	for id := range set {
		r[id] = struct{}{}
	}
	*room = need
	return r
}

// reserveChanged makes room in the batch's changed set for k more ids.
func (b *outBatch) reserveChanged(k int) {
	b.changedSet = roomInSet(b.changedSet, &b.changedRoom, k)
}

// reset empties the batch after a flush, keeping its deduplication set
// and id buffer (flushBatch copied the ids out) when they are small.
func (b *outBatch) reset() {
	room := b.changedRoom
	set := reuseSetRoom(b.changedSet, &room)
	ids := b.changedIDs[:0]
	if set == nil {
		ids = nil
	}
	views := b.views
	views.reset()
	*b = outBatch{changedSet: set, changedRoom: room, changedIDs: ids, views: views, idSlab: b.idSlab, lastClaim: b.lastClaim}
}

// expectClaims tells the batch that about k claim changes of one node
// follow (a peer's claims message, an owner's stop of its local
// children): the first new run's id list is made with room for them
// instead of growing by doubling (a 1,000-child stop on 3 nodes: the
// growth was 1.6 of core's 14 MB at 10,000 children and 7% of its CPU
// in a profile, mostly the collector's assists it triggered).
func (b *outBatch) expectClaims(k int) { b.claimHint = k }

// sized returns ids, or a new empty list with room for the claim changes
// expected (expectClaims) if ids is nil and some are; the hint is then
// used up.
func (b *outBatch) sized(ids []ChildID) []ChildID {
	if ids != nil || b.claimHint <= 1 {
		return ids
	}
	ids = make([]ChildID, 0, b.claimHint)
	b.claimHint = 0
	return ids
}

// idSlabLen is how many one-id lists share an allocation.
const idSlabLen = 64

// oneID returns a list holding only id, carved from a slab shared with
// the next one-id lists (a started child's process-startups hook names
// one child: one allocation per slab instead of one per child). The list
// is capped, so an append to it copies, and a slab position is written
// once: lists handed out never change.
func (b *outBatch) oneID(id ChildID) []ChildID {
	if len(b.idSlab) == cap(b.idSlab) {
		b.idSlab = make([]ChildID, 0, idSlabLen)
	}
	b.idSlab = append(b.idSlab, id)
	k := len(b.idSlab)
	return b.idSlab[k-1 : k : k]
}

// entrySlabLen is how many registry changes' entries share an
// allocation at most.
const entrySlabLen = 16

// entrySlab hands out the entries of a batch's registry changes carved
// from shared allocations of entrySlabLen (a start's flush builds one
// view per child on every node: one allocation per 16 instead of one per
// child; TestStartStopAllocationsPerChild counts them). Every element is
// handed out once and never written by core again, so the driver may
// keep the entries (the runtime's index does, as long as each is its
// id's current entry). An allocation stays alive while any entry carved
// from it is held: at most entrySlabLen-1 dead entries (216 bytes
// each) per live one, and only after a bulk batch whose children were
// mostly replaced or stopped since. 16, not more: 64 saved 0.2 more
// allocations per started child (3 nodes) and no CPU that
// BenchmarkStartStopCPU could tell from noise, for a worst case of 63
// dead entries (13.6 KB) pinned per live one instead of 15 (3.2 KB). A batch of fewer changes allocates
// no more than it needs: left is the count the flush still has to build.
type entrySlab struct {
	free []entryWithReplica
	left int // changes left in the flush, a bound on the next slab
}

// next returns a zeroed entry with room for one replica, from the
// current slab or a new one of min(left, entrySlabLen) elements; on a
// nil slab, an allocation of its own.
func (s *entrySlab) next() *entryWithReplica {
	if s == nil {
		return new(entryWithReplica)
	}
	if len(s.free) == 0 {
		s.free = make([]entryWithReplica, min(max(s.left, 1), entrySlabLen))
	}
	e := &s.free[0]
	s.free = s.free[1:]
	return e
}

// entry returns a zeroed entry from next (its replica room unused).
func (s *entrySlab) entry() *Entry { return &s.next().entry }
