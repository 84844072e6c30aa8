package core

// A batch's registry views, built with what every view of the batch
// shares looked up once: registry.view asks for each claiming node's
// incarnation per child, where a flush of a start or stop of thousands
// of children asks the same few nodes for every child. viewSources holds
// them for one batch (the view and the membership do not change while a
// batch's outputs are built).

// viewSources are the alive nodes (in the view's order) and each one's
// incarnation.
type viewSources struct {
	nodes []NodeID
	incs  []uint64
	// slab carves the batch's views (changes.go).
	slab entrySlab
}

// load fills s for the alive nodes, reusing its slices.
func (s *viewSources) load(r *registry, alive []NodeID, incarnation func(NodeID) uint64) {
	s.nodes, s.incs = s.nodes[:0], s.incs[:0]
	for _, n := range alive {
		s.nodes = append(s.nodes, n)
		s.incs = append(s.incs, incarnation(n))
	}
}

// reset drops the batch's nodes and keeps the slices.
func (s *viewSources) reset() {
	clear(s.nodes)
	s.nodes, s.incs = s.nodes[:0], s.incs[:0]
}

// viewWith is view(id, alive, incarnation) for the alive nodes and
// incarnations s was loaded with: the same entry, Replicas in the same
// order, one map lookup for the entry and its claims (slots.go). With
// liveOnly a tombstone's view is nil too.
func (r *registry) viewWith(id ChildID, s *viewSources, liveOnly bool) *Entry {
	sl := r.slotOf(id)
	if sl == nil || !sl.entry || (liveOnly && sl.rec.stopped) {
		return nil
	}
	v := viewBuilder{slab: &s.slab}
	r.eachClaimOf(sl, id, s.nodes, func(k int, cl heldClaim) {
		v.add(r, id, sl.rec, Replica{Node: s.nodes[k], Incarnation: s.incs[k], Epoch: cl.epoch, Active: cl.active})
	})
	return v.entry(r, id, sl.rec)
}

// eachClaimOf calls f, in the order of nodes, with the index in nodes
// and the claim of every node of nodes that claims id (whose slot is
// sl). With one claim (the common case) it compares names only: no
// lookup.
func (r *registry) eachClaimOf(sl *slot, id ChildID, nodes []NodeID, f func(k int, cl heldClaim)) {
	if sl.holder == 0 {
		return
	}
	if !sl.more {
		holder := r.nodes.names[sl.holder-1]
		for k, n := range nodes {
			if n == holder {
				f(k, sl.inline())
				return
			}
		}
		return
	}
	for k, n := range nodes {
		if cl, ok := r.claimIn(sl, id, n); ok {
			f(k, cl)
		}
	}
}
