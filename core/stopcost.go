package core

// What routing and an owner's stop cost per child, kept to what they
// read: a child's guided pins and the result's replica nodes without
// building an entry copy or view, and the tombstone written straight into
// the op's entries instead of a heap copy first
// (TestStartStopAllocationsPerChild counts them).

// pinnedOf returns the guided pins of id's entry, nil if it has none or
// there is no entry: get(id)'s Pinned without the copy.
func (r *registry) pinnedOf(id ChildID) []NodeID {
	rec, ok := r.entries[id]
	if !ok || !rec.rare {
		return nil
	}
	return r.rare[id].pinned
}

// replicaNodes returns the nodes among alive that claim id, in alive's
// order: view(id, alive, ...).Nodes() without the entry (an empty, non-nil
// slice when none claims it, as Nodes returns).
func (r *registry) replicaNodes(id ChildID, alive []NodeID) []NodeID {
	found := 0
	for _, n := range alive {
		if _, ok := r.claims[n][id]; ok {
			found++
		}
	}
	out := make([]NodeID, 0, found)
	if found == 0 {
		return out
	}
	for _, n := range alive {
		if _, ok := r.claims[n][id]; ok {
			out = append(out, n)
		}
	}
	return out
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
