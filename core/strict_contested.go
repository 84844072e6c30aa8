package core

import "slices"

// Contested versions: a refused write stays refused.
//
// writeConflicts compares an owner's write with the version a peer holds
// before applying it, and the peer applies the write anyway (the merge
// decides what survives). When the rival write wins the merge — an equal
// epoch written by a later-named node, or a stop one epoch past another
// stop — the peer holds the write itself afterwards, and the comparison
// saw "the same version again" in every later round that wrote it: a
// retransmission of the refused round (sent because the refusal was lost)
// was acknowledged, and so was a round that arrived after the rival
// version had reached the peer by anti-entropy or a full sync. Mix strict
// seed 14704 of the long sweep: n1 and n2 cut apart, n3 hearing both; n1
// started c1 e1, acknowledged by n3; a cordon moved c1 to n2, whose
// registry had never heard of it and which started it afresh at e1; n3
// refused n2's round, the refusal was lost, n3 acknowledged the
// retransmission, and n2 answered ok e1: two acknowledged starts of e1
// without a stop (TestStrictRefusedRoundStaysRefused).
//
// A strict node (and a majority-quorum one: quorum_rival.go) therefore remembers each version it took from a peer
// that replaced a rival of it (rival: another writer's version of the same
// generation), and counts every owner's round that writes a remembered
// version as a write conflict, whenever and however often it arrives. Two
// majorities share a voter: whichever of two rival versions reaches it
// second is refused there, round or retransmission, and so neither owner
// of the second write answers ok. A guided start that beat this node's
// own start of another mapping is not remembered: there the merge decides
// and the winner is acknowledged (guided_conflict.go). Bounded: at most contestedPerChild
// versions per child, forgotten with the child's entry (a round lasts at
// most the owner's request timeout; a tombstone is kept far longer).

// contestedPerChild bounds the contested versions remembered per child.
const contestedPerChild = 4

// versionKey names one registry version of a child.
type versionKey struct {
	epoch   uint64
	stopped bool
	by      NodeID
}

func versionKeyOf(e *Entry) versionKey {
	return versionKey{epoch: e.Epoch, stopped: e.Stopped, by: e.By}
}

// storePeerEntry stores a version received from a peer (storeEntry) and,
// where rival writes are refused (strict mode, majority quorum:
// quorum_rival.go), remembers it as contested when it replaced a rival.
func (n *Node) storePeerEntry(e *Entry) {
	if !n.refusesRivalWrites() {
		n.storeEntry(e)
		return
	}
	var prev Entry // filled in place: a full sync stores many entries
	rec, had := n.reg.rec(e.Spec.ID)
	if had {
		n.reg.fill(&prev, e.Spec.ID, rec)
	}
	if !n.storeEntry(e) || !had || sameVersion(&prev, e) || !rival(&prev, e) {
		return
	}
	if prev.By == n.cfg.Name && len(prev.Pinned) > 0 && !slices.Equal(prev.Pinned, e.Pinned) {
		return // this node's own guided start lost to another mapping: the merge decides (guidedRivals)
	}
	s := n.quorum
	if s.contested == nil {
		s.contested = map[ChildID][]versionKey{}
	}
	ks := s.contested[e.Spec.ID]
	if len(ks) == contestedPerChild {
		ks = ks[1:]
	}
	s.contested[e.Spec.ID] = append(ks, versionKeyOf(e))
}

// contestedWrite reports whether this node, refusing rival writes, took
// version w from a peer in place of a rival version (storePeerEntry).
func (n *Node) contestedWrite(w *Entry) bool {
	if !n.refusesRivalWrites() {
		return false
	}
	k := versionKeyOf(w)
	for _, c := range n.quorum.contested[w.Spec.ID] {
		if c == k {
			return true
		}
	}
	return false
}

// contestedCollect forgets the contested versions of children whose entry
// is gone (their tombstone was collected).
func (n *Node) contestedCollect() {
	s := n.quorum
	for id := range s.contested { // deletes only: the order does not matter
		if !n.reg.has(id) {
			delete(s.contested, id)
		}
	}
}
