package core

import "math/bits"

// Stamps vouched for in bits, not pulled in tables (SWIM detector).
//
// A node waiting for agreement (swim_agree.go) must learn, for each of
// its N peers, that the peer stated the node's own stamp. It used to
// probe without a table digest, so that every ack brought it the peer's
// whole member table with every stamp the peer held: N records per
// probe, N probes per period, for the O(log N) periods the stamps took
// to spread — forming's bytes grew as N² log N (29.4 MB at 200 nodes,
// most of them such tables).
//
// Instead, a node that is not ready probes with its table digest and
// its stated stamp (its own record, first of every ping), and adds its
// agreement bitmap: over the members its digest covers (alive or left,
// sorted by name: inAgreeList), a bit for each member known to have stated
// that stamp. A peer whose table digest equals the ping's holds the same
// members, so the bits name the same members there: it answers with its
// own bitmap for the prober's stamp (the members whose stamp it holds
// with that hash, or which a bitmap vouched for), and, when the prober's
// stamp is also its own, takes the prober's bits. A table that differs
// is answered with the table, as before (swim.go). So a waiting node
// learns N stamps in N bits instead of N records, and the bits spread
// both ways, as the tables did.
//
// Why the promise holds: a bit set for member x at stamp h says that x
// stated h, in a record the vouching node held or was vouched for in
// turn — the same fact a table carrying x's record with stamp h gives
// (a stamp held up in gossip is older, but not weaker: swim_agree.go).
// The bits count only while the node's own table and registry still
// hash to h and its digest still names the same members (a vouch is for
// one hash, memberState.vouchedFor, and counts no more once the hash
// moves; an ack's bits are taken only when the digest and stamp of the
// probe are still this node's); a member whose latest known stamp says
// it claims children is not taken on a vouch, nor is any the local
// checks of agrees refuse (claims held here, this node's cordon change).

// inAgreeList reports whether member s has a bit in agreement bitmaps:
// the members the table digest covers (alive or left: swimDigestTerm),
// in name order, the same at every node with the same digest.
func inAgreeList(s *memberState) bool { return s.digestTerm != 0 }

// stated reports whether this node knows that member s stated a stamp
// with hash h: its record says so, or a bitmap vouched for it.
func stated(s *memberState, h uint64) bool {
	return s.SyncStamp&stampHashMask == h || s.vouchedFor == h
}

// agreeBitmap returns the bits, over the members in inAgreeList's order,
// of the members known to have stated a stamp with hash h (h != 0).
func (n *Node) agreeBitmap(h uint64) []byte {
	size, table := n.members.delta.agreeSize, n.members.table()
	bm := make([]byte, (size+7)/8)
	if size == len(table) { // every member has a bit: bit i is the i-th record
		for i, s := range table {
			if stated(s, h) {
				bm[i>>3] |= 1 << (i & 7)
			}
		}
		return bm
	}
	i := 0
	for _, s := range table {
		if !inAgreeList(s) {
			continue
		}
		if stated(s, h) {
			bm[i>>3] |= 1 << (i & 7)
		}
		i++
	}
	return bm
}

// takeBitmap records the members bitmap bm vouches for as having stated
// hash h, which must be this node's own hash. A bitmap of the wrong
// length, or with a bit past the members, is ignored whole.
func (n *Node) takeBitmap(bm []byte, h uint64) {
	if h == 0 || h != n.agreeHash() {
		return
	}
	size := n.members.delta.agreeSize
	if len(bm) != (size+7)/8 || (size%8 != 0 && bm[len(bm)-1]>>(size%8) != 0) {
		return
	}
	table := n.members.table()
	if size == len(table) {
		// Every member has a bit (none is held down): bit i is the i-th
		// record, so only the set bits are visited.
		for i, b := range bm {
			for ; b != 0; b &= b - 1 {
				if s := table[8*i+bits.TrailingZeros8(b)]; s.Name != n.cfg.Name {
					s.vouchedFor = h
				}
			}
		}
		return
	}
	i := 0
	for _, s := range table {
		if !inAgreeList(s) {
			continue
		}
		if bm[i/8]&(1<<(i%8)) != 0 && s.Name != n.cfg.Name {
			s.vouchedFor = h
		}
		i++
	}
}

// vouchedAgrees reports whether a bitmap vouched that peer s stated hash
// h, this node's own, and s's latest stamp known here does not say it
// claims children (a stamp without a hash).
func vouchedAgrees(s *memberState, h uint64) bool {
	return s.vouchedFor == h && (s.SyncStamp == 0 || s.SyncStamp&stampHashMask != 0)
}

// swimAskStamps adds to a probe of a node that is not ready its
// agreement bitmap for its stated stamp, which asks the peer for its
// bits (when the digests match), and remembers what the probe stated.
// A node whose stated stamp is not its current one (restated at the
// next period) or has no hash asks nothing.
func (n *Node) swimAskStamps(ping *Message) {
	h := n.members.own().SyncStamp & stampHashMask
	if n.ready() || h == 0 || h != n.agreeHash() {
		return
	}
	ping.State = n.agreeBitmap(h)
	n.swim.probe.stampHash, n.swim.probe.digest = h, ping.Digest
}

// swimAnswerStamps handles the bitmap of ping m (its digest equals this
// node's): it takes the bits when the prober's stamp is this node's own,
// and answers with this node's bits for the prober's stamp.
func (n *Node) swimAnswerStamps(m Message, ack *Message) {
	if len(m.State) == 0 || len(m.Members) == 0 || m.Members[0].Name != m.From {
		return
	}
	h := m.Members[0].SyncStamp & stampHashMask
	if h == 0 {
		return
	}
	n.takeBitmap(m.State, h)
	ack.State = n.agreeBitmap(h)
}

// swimTakeStamps takes the bits of the ack to this period's probe, if the
// probe asked for them and this node's digest and stamp are still those
// it stated.
func (n *Node) swimTakeStamps(m Message) {
	p := &n.swim.probe
	if len(m.State) == 0 || m.Origin != "" || !p.active || p.seq != m.Seq || p.target != m.From || p.stampHash == 0 {
		return
	}
	if n.members.swimDigest() != p.digest || n.members.own().SyncStamp&stampHashMask != p.stampHash {
		return
	}
	n.takeBitmap(m.State, p.stampHash)
}
