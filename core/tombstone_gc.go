package core

// Tombstones and members that are away (durable mode only: in memory the
// default sweep bounds tombstones under churn, TestMetadataStaysBounded).
// A tombstone keeps a stopped
// child stopped only while some registry holds it: a node that was away
// (crashed, cut off) when the child stopped still holds the child's live
// version, and once every tombstone of it was collected that version is
// the only one left — its return would bring the child back to life. So
// a node collects expired tombstones only while every member it knows is
// alive and it has merged the state of each member that came back (ready:
// no full sync awaited). A member that is down holds collection up until
// it is back and merged, or until it is forgotten (ForgetDownAfter), and
// a node that comes back applies an expired tombstone over its older live
// version instead of ignoring it. Tombstones then live at most
// ForgetDownAfter + TombstoneTTL + one sync interval while some member is
// down: still bounded. The limit that remains (README, durable mode): a
// node away for longer than ForgetDownAfter — forgotten by the cluster —
// can still bring back children stopped while it was away.

// mayCollectTombstones reports whether this node may collect expired
// tombstones now: it is ready, no member it knows is down, and every
// member has been back for at least one anti-entropy interval (versions
// it sent before it merged the tombstones are no longer in flight).
func (n *Node) mayCollectTombstones() bool {
	if n.cfg.Broken.CollectWhileMemberDown || !n.cfg.Durable {
		return true
	}
	if !n.ready() {
		return false
	}
	// Any member that holds collection answers no, so the walk's order
	// does not matter: no sort (asked at every tick while collection is
	// held back, tombstone_grid.go).
	for name, m := range n.members.members {
		if m.Status == StatusDown || (name != n.cfg.Name && m.Status == StatusAlive && n.now.Sub(m.since) < n.cfg.Sync.Interval) {
			return false
		}
	}
	return true
}

// freshStartMayEndTombstone reports whether an entry from peer may replace
// this node's expired, not yet collected tombstone of the same child (a
// fresh start by a peer that collected it, below this node's tombstone
// only if the peer never learned the epoch floor). Not from a member back
// for less than the TTL: what it sends may be its version from before the
// stop, which the tombstone must still end.
func (n *Node) freshStartMayEndTombstone(peer NodeID) bool {
	if n.cfg.Broken.CollectWhileMemberDown || !n.cfg.Durable {
		return true
	}
	m, ok := n.members.members[peer]
	return ok && m.Status == StatusAlive && n.now.Sub(m.since) >= n.cfg.Timing.TombstoneTTL && n.mayCollectTombstones()
}

// expiredTombstoneStillEnds reports whether an expired tombstone t from a
// peer must still be applied: this node holds an older live version of
// the child (it was away when the child stopped). Otherwise an expired
// tombstone is dropped on arrival, as if collected.
func (n *Node) expiredTombstoneStillEnds(t *Entry) bool {
	if n.cfg.Broken.CollectWhileMemberDown || !n.cfg.Durable {
		return false
	}
	have, ok := n.reg.get(t.Spec.ID)
	return ok && !have.Stopped && newer(t, have)
}
