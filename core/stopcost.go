package core

// What routing and an owner's stop cost per child, kept to what they
// read: a child's guided pins and the result's replica nodes without
// building an entry copy or view, and the tombstone written straight into
// the op's entries instead of a heap copy first
// (TestStartStopAllocationsPerChild counts them).

// pinnedOf returns the guided pins of id's entry, nil if it has none or
// there is no entry: get(id)'s Pinned without the copy.
func (r *registry) pinnedOf(id ChildID) []NodeID {
	rec, ok := r.rec(id)
	if !ok || !rec.rare {
		return nil
	}
	return r.rare[id].pinned
}

// appendReplicaNodes appends the nodes among the alive ones src was
// loaded with (viewsources.go) that claim id (whose slot is sl) to buf,
// in their order, and
// returns them (capped, so later appends never write into them; empty and
// non-nil when none claims it, as view(id, alive, ...).Nodes() returns,
// without the entry) and the extended buf. An owner's stop gives every
// result its nodes from one buffer: one allocation per stop instead of
// one per child; and finds the claims in id's slot, read by the same
// lookup as its entry (slots.go).
func (r *registry) appendReplicaNodes(buf []NodeID, sl *slot, id ChildID, src *viewSources) (nodes, grown []NodeID) {
	start := len(buf)
	r.eachClaimOf(sl, id, src.nodes, func(k int, _ heldClaim) {
		buf = append(buf, src.nodes[k])
	})
	return buf[start:len(buf):len(buf)], buf
}

// stopping is an owner stop's read of a child, with one lookup of id:
// whether it is active (an entry that is not a tombstone), its entry
// filled into *dst and, through appendReplicaNodes, the nodes that run
// it.
func (r *registry) stopping(dst *Entry, buf []NodeID, id ChildID, src *viewSources) (active bool, nodes, grown []NodeID) {
	sl := r.slotOf(id)
	if sl == nil || !sl.entry || sl.rec.stopped {
		return false, nil, buf
	}
	r.fill(dst, id, sl.rec)
	nodes, buf = r.appendReplicaNodes(buf, sl, id, src)
	return true, nodes, buf
}

// writeTombstone fills *t with the stopped version of e (epoch+1, so it
// beats any concurrent takeover of the same generation), stores it and
// stops the local instance: tombstone without the allocation.
func (n *Node) writeTombstone(t, e *Entry, reason string) {
	*t = Entry{Spec: e.Spec, Metadata: e.Metadata, Epoch: e.Epoch + 1, Stopped: true, StoppedAt: n.now, By: n.cfg.Name, Holder: e.Holder, Pinned: e.Pinned, Reason: reason}
	if n.cfg.Broken.ZeroStoppedAt {
		t.StoppedAt = 0
	}
	n.storeEntry(t)
}
