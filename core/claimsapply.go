package core

// Helpers of applyClaims (sync.go) that let a full claim list which
// repeats what a node already knows cost a lookup per claim: every node
// sends its full list to every peer each anti-entropy round, and
// applying it as news (a registry change and a reconcile per child) was
// 13% of BenchmarkSim5Nodes1000Children60s's CPU and the reconciles it
// caused another 12%.

// listCoversClaims reports whether a full claim list names every id
// node claims as known here, so that applying it retracts nothing and
// the search for retractions can be skipped. It answers true only for a
// list in strictly increasing id order (as ownClaims sends it): a
// repeated id could not be told from another id, so any other list gets
// false and the full search.
func (r *registry) listCoversClaims(list []Claim, node NodeID) bool {
	held := r.claimCount(node)
	if len(list) < held {
		return false
	}
	covered := 0
	for i, c := range list {
		if i > 0 && list[i-1].ID >= c.ID {
			return false
		}
		if s := r.slotOf(c.ID); s != nil {
			if _, ok := r.claimIn(s, c.ID, node); ok {
				covered++
			}
		}
	}
	return covered == held
}

// sameButVersion reports whether two claims differ in nothing but the
// version of the message that set them (Ver, receiver bookkeeping that
// no reader sees): re-stating such a claim moves its version, so an older
// reordered message still cannot undo it, but changes nothing in the
// registry and asks for no reconciliation.
func sameButVersion(a, b Claim) bool {
	a.Ver = b.Ver
	return a == b
}

// retractionsFor returns the map of node's remembered retractions
// (registry.removed), created if it has none, with room for the
// retractions claims carry: a stop of thousands of children retracts
// their claims in one message at every peer, and the map grew by
// doubling through them (a 1,000-child stop's profile on 3 nodes: its
// rehashes 5% of core's CPU, 8% with their allocations). Sized as
// reserve.go sizes the registry's maps: rebuilt only when the message
// would more than double it.
func (r *registry) retractionsFor(node NodeID, claims []Claim) map[ChildID]uint64 {
	k := 0
	for i := range claims {
		if claims[i].Removed {
			k++
		}
	}
	m := r.removed[node]
	if m == nil || k > len(m) {
		m = reserve(m, k)
		if m == nil {
			m = map[ChildID]uint64{}
		}
		r.removed[node] = m
	}
	return m
}
