package core

// Digest-only full syncs. A full sync carries the sender's whole registry
// so that the receiver holds everything the sender had decided; when both
// registries are already equal, the entries are dead weight. On a join
// they were most of the traffic: a 4th node joining 3 that hold 10,000
// children got the registry from each of them and sent it back to each
// (BenchmarkJoin10k: 8 full syncs, 8.27 entries per child).
//
// Every full sync, join and all-to-all heartbeat now shows the sender's
// registry digest (Message.Digest), and a node remembers the last digest
// each peer showed (anti-entropy's MsgDigest too). A full sync to a peer
// whose last digest equals this node's carries no entries, only the
// digest, the full claim list and the receiver's record (a digest-only
// sync). The receiver counts it as a complete sync once its own registry
// has that digest: at once, or later, when the entries it still waits for
// (a joiner's sync from its seed) bring it there. A registry that never
// reaches the digest keeps the node waiting for that peer's sync, and
// askForMissingSyncs asks for it a RetryInterval on; an asked sync
// (MsgSyncRequest) always carries the entries. A digest is forgotten when
// its peer goes away, so a comeback needs fresh evidence.
//
// A joiner gets the registry once, from its seed (its join shows the
// empty registry's digest), before the welcome; it probes the members the
// welcome names with heartbeats showing the digest it then has, so each
// of them and the joiner exchange digest-only syncs. With the SWIM
// detector (pings carry the member table's digest, not the registry's)
// syncs carry the entries unless an earlier message showed the digest.

// digestOffer is a digest-only sync waiting for this node's registry to
// reach its digest: the digest and the receiver's record it carried.
type digestOffer struct {
	digest  uint64
	members []Member
}

// notePeerDigest records the registry digest m shows of its sender: a
// heartbeat (not a SWIM ping), a join, an anti-entropy digest or a full
// sync. Zero means an empty registry or a peer that shows none.
func (n *Node) notePeerDigest(m Message) {
	switch {
	case m.Kind == MsgHeartbeat, m.Kind == MsgJoin, m.Kind == MsgDigest, m.Full && (m.Kind == MsgReplicate || m.Kind == MsgWelcome):
	default:
		return
	}
	if n.peerDigests == nil {
		n.peerDigests = map[NodeID]uint64{}
	}
	n.peerDigests[m.From] = m.Digest
}

// syncNeedsEntries reports whether a full sync to a peer must carry the
// entries: unless the peer's last digest shows a registry equal to this
// node's (and not empty).
func (n *Node) syncNeedsEntries(to NodeID) bool {
	d, ok := n.peerDigests[to]
	return !ok || d == 0 || d != n.reg.digest
}

// fullSyncComplete reports whether the full sync m counts as complete
// now: it carries entries (or the sender's registry is empty), or it is a
// digest-only sync and this node's registry has its digest. A digest-only
// sync whose digest this registry has not reached waits as an offer
// (checkDigestOffers).
func (n *Node) fullSyncComplete(m Message) bool {
	if !m.Full {
		return false
	}
	delete(n.digestOffers, m.From)
	if m.Digest == 0 || len(m.Entries) > 0 || m.Digest == n.reg.digest {
		return true
	}
	if n.digestOffers == nil {
		n.digestOffers = map[NodeID]digestOffer{}
	}
	n.digestOffers[m.From] = digestOffer{digest: m.Digest, members: m.Members}
	return false
}

// checkDigestOffers completes every waiting digest-only sync whose digest
// this node's registry now has.
func (n *Node) checkDigestOffers() {
	if len(n.digestOffers) == 0 {
		return
	}
	for _, p := range sortedKeys(n.digestOffers) {
		if o := n.digestOffers[p]; o.digest == n.reg.digest {
			delete(n.digestOffers, p)
			n.syncedBy(p, o.members)
		}
	}
}

// syncedBy records a complete full sync from p, made by a peer that knew
// this node's record as members shows it.
func (n *Node) syncedBy(p NodeID, members []Member) {
	if !n.synced {
		n.syncedFrom[p] = true
		n.checkSynced()
	}
	if n.needSync[p] && n.syncIsCurrent(members) {
		n.resynced(p)
	}
}

// forgetPeerDigest drops what t's member showed of its registry when it
// goes away or is forgotten, and any offer of its previous life.
func (n *Node) forgetPeerDigest(t memberTransition) {
	if t.cameUp() || t.wentAway() || t.forgotten() {
		delete(n.digestOffers, t.name)
	}
	if t.wentAway() || t.forgotten() {
		delete(n.peerDigests, t.name)
	}
}
