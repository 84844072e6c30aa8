package core

// Per-input output work, kept small because it runs for every child a
// start or stop touches on every node: registry changes are built for
// the driver's index only as far as it reads them, and the sets that
// deduplicate a batch's ids are reused from batch to batch instead of
// grown anew each time.

// changeEntry returns the entry a registry change of id carries: the
// current view, or nil when the child is removed, or stopped and the
// driver keeps live entries only (Config.LiveChanges). src holds the
// batch's view inputs (viewsources.go); the entry is looked up once.
func (n *Node) changeEntry(id ChildID, src *viewSources) *Entry {
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

// reset empties the batch after a flush, keeping its deduplication set
// and id buffer (flushBatch copied the ids out) when they are small.
func (b *outBatch) reset() {
	set := reuseSet(b.changedSet)
	ids := b.changedIDs[:0]
	if set == nil {
		ids = nil
	}
	views := b.views
	views.reset()
	*b = outBatch{changedSet: set, changedIDs: ids, views: views, idSlab: b.idSlab}
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
