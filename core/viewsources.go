package core

// A batch's registry views, built with what every view of the batch
// shares looked up once: registry.view looks up each alive node's claim
// table and each claiming node's incarnation per child, where a flush of
// a start or stop of thousands of children asks the same few nodes for
// every child. viewSources holds them for one batch (the view and the
// membership do not change while a batch's outputs are built).

// viewSources are the alive nodes (in the view's order), each one's
// incarnation and claim table.
type viewSources struct {
	nodes  []NodeID
	incs   []uint64
	claims []map[ChildID]heldClaim
}

// load fills s for the alive nodes, reusing its slices.
func (s *viewSources) load(r *registry, alive []NodeID, incarnation func(NodeID) uint64) {
	s.nodes, s.incs, s.claims = s.nodes[:0], s.incs[:0], s.claims[:0]
	for _, n := range alive {
		s.nodes = append(s.nodes, n)
		s.incs = append(s.incs, incarnation(n))
		s.claims = append(s.claims, r.claims[n])
	}
}

// reset drops the batch's references (claim tables may be replaced
// before the next batch) and keeps the slices.
func (s *viewSources) reset() {
	clear(s.claims)
	s.nodes, s.incs, s.claims = s.nodes[:0], s.incs[:0], s.claims[:0]
}

// viewWith is view(id, alive, incarnation) for the alive nodes and
// incarnations s was loaded with: the same entry, Replicas in the same
// order, one map lookup per alive node and one for the entry. With
// liveOnly a tombstone's view is nil too.
func (r *registry) viewWith(id ChildID, s *viewSources, liveOnly bool) *Entry {
	rec, ok := r.entries[id]
	if !ok || (liveOnly && rec.stopped) {
		return nil
	}
	var v viewBuilder
	for i, m := range s.claims {
		if cl, ok := m[id]; ok {
			v.add(r, id, rec, Replica{Node: s.nodes[i], Incarnation: s.incs[i], Epoch: cl.epoch, Active: cl.active})
		}
	}
	return v.entry(r, id, rec)
}
