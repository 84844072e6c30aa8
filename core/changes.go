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
	*b = outBatch{changedSet: set, changedIDs: ids, views: views}
}
