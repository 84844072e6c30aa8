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
