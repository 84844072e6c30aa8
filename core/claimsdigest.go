package core

import "fmt"

// Claims digests. Every anti-entropy round used to send each target peer
// this node's full claim list: at a million children 7.3 million claims
// per 1M start (3 nodes), each one encoded, decoded and looked up in a
// million-entry map on arrival, although the receiver held all of them
// already. The claim deltas (flushClaims) and their numbering (syncgap.go)
// carry every change; what a round must still catch is a receiver whose
// copy of the sender's claims differs without a hole in the numbering to
// show it — a copy that lost a claim some other way, or a delta that was
// the last before a quiet spell and lost while heartbeats do not show the
// count (SWIM).
//
// So the round's MsgDigest also carries a claims digest of the sender:
// ClaimDeltas, the claim deltas it has sent in its incarnation (its
// pending changes flushed first, so the digest is its state as of that
// delta), ClaimsLen, how many claims it holds, and ClaimsHash, the sum of
// a hash of each claim (id, epoch, instance, active) — order-independent,
// kept up to date on every set and drop of a claim of any node here
// (registry.setClaim, dropClaim), so neither side walks its claims to
// make or check it. The receiver:
//   - records the count as a heartbeat does (noteDeltasShown): a delta it
//     has not applied opens a hole, asked for a RetryInterval later if no
//     late delta fills it (syncgap.go);
//   - compares only at the same point of the sender's stream: it has
//     applied exactly deltas 1..ClaimDeltas (or a full list covering
//     them) and none beyond. A digest older than what it applied (a
//     reordered one) or newer (deltas in flight) says nothing and is
//     ignored; it never drops or sets a claim, it can only ask;
//   - on a difference at the same point asks for the sender's full claim
//     list (syncgap.go's ask: a MsgSyncRequest with Count), which applies
//     by version like every full list.
//
// A full list still goes with every full sync (contact, a came-up member,
// a restart: a new incarnation's claims are forgotten and re-sent whole,
// memberchange.go) and with every answer to an ask. A receiver that holds
// no full list of an alive, synced sender asks for it at its digest.
//
// Bound: a copy that differs is asked for at the sender's next round to
// it and repaired a round trip later; a lost last delta a RetryInterval
// after that round (TestClaimsDigestRepairsACopyThatDiffersWithoutAHole,
// TestClaimsDigestShowsALostLastDelta). A reordered old digest changes
// nothing (TestReorderedOldClaimsDigestCausesNoWrongDrop); a restarted
// node holds every claim once synced (TestRestartedNodeIsSentEveryClaim).

// claimSum is one node's claims as a digest: their number and the sum of
// their hashes.
type claimSum struct {
	n    int
	hash uint64
}

// claimHash hashes one claim as the digest counts it (Ver, receiver-side
// bookkeeping, and Removed, never held, are not part of it).
func claimHash(id ChildID, h heldClaim) uint64 {
	x := mix64(idHash(id) ^ h.epoch) // syncround.go
	x = mix64(x ^ h.instance)
	if h.active {
		x = mix64(x ^ 1)
	}
	return mix64(x)
}

// mix64 is SplitMix64's finalizer: every input bit affects every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// claimSums holds each node's claim sum, with the node written last at
// hand: claims come in runs of one node's (a delta, a full list, a
// start), so most updates skip the map.
type claimSums struct {
	by       map[NodeID]*claimSum
	lastNode NodeID
	last     *claimSum
}

// of returns node's sum, adding a zero one.
func (t *claimSums) of(node NodeID) *claimSum {
	if t.last != nil && t.lastNode == node {
		return t.last
	}
	s := t.by[node]
	if s == nil {
		if t.by == nil {
			t.by = map[NodeID]*claimSum{}
		}
		s = &claimSum{}
		t.by[node] = s
	}
	t.lastNode, t.last = node, s
	return s
}

// get returns node's sum (zero if it holds no claim).
func (t *claimSums) get(node NodeID) claimSum {
	if s := t.by[node]; s != nil {
		return *s
	}
	return claimSum{}
}

// forgetEmpty drops node's sum once it holds no claim, keeping the table
// bounded by the nodes with claims.
func (t *claimSums) forgetEmpty(node NodeID, s *claimSum) {
	if s.n == 0 {
		delete(t.by, node)
		if t.last == s {
			t.lastNode, t.last = "", nil
		}
	}
}

// sumSetClaim updates node's claim sum for c, about to replace node's
// claim of c.ID (registry.setClaim calls it first).
func (r *registry) sumSetClaim(node NodeID, c Claim) {
	now := heldClaim{epoch: c.Epoch, instance: c.Instance, active: c.Active}
	s := r.sums.of(node)
	if old, ok := r.claim(node, c.ID); ok {
		if old.Epoch == now.epoch && old.Instance == now.instance && old.Active == now.active {
			return // only its version moves
		}
		s.hash -= claimHash(c.ID, heldClaim{epoch: old.Epoch, instance: old.Instance, active: old.Active})
	} else {
		s.n++
	}
	s.hash += claimHash(c.ID, now)
}

// sumDropClaim updates node's claim sum for its claim old of id, about
// to be dropped (registry.dropClaim calls it with the claim it found).
func (r *registry) sumDropClaim(node NodeID, id ChildID, old heldClaim) {
	s := r.sums.of(node)
	s.n--
	s.hash -= claimHash(id, heldClaim{epoch: old.epoch, instance: old.instance, active: old.active})
	r.sums.forgetEmpty(node, s)
}

// withClaimsDigest adds this node's claims digest to an anti-entropy
// digest. The caller has flushed the pending claim changes, so the digest
// is this node's claims as of its last delta.
func (n *Node) withClaimsDigest(m Message) Message {
	s := n.reg.sums.get(n.cfg.Name)
	m.ClaimDeltas, m.ClaimsLen, m.ClaimsHash = n.claimDeltas, s.n, s.hash
	return m
}

// onClaimsDigest compares a peer's claims digest with what this node holds
// of its claims and asks for its full claim list on a difference at the
// same point of its delta stream.
func (n *Node) onClaimsDigest(m Message) {
	p := m.From
	if n.needSync[p] || (!n.synced && !n.syncedFrom[p]) {
		return // its full sync, claims included, is awaited anyway (syncask.go)
	}
	s := n.claimStreams[p]
	if s == nil {
		// No full list of p here (its full sync counted, its claims
		// forgotten since, or a sync from before numbering): ask for one.
		n.askClaimList(p, 1)
		return
	}
	n.noteDeltasShown(p, m.ClaimDeltas) // a lost delta: the hole is asked for (syncgap.go)
	if s.next-1 != m.ClaimDeltas || len(s.ahead) > 0 {
		return // another point of p's stream: an older digest, or deltas in flight or lost
	}
	if sum := n.reg.sums.get(p); sum.n == m.ClaimsLen && sum.hash == m.ClaimsHash {
		return
	}
	n.claimDigestMismatches++
	n.askClaimList(p, s.next)
}

// askClaimList asks p for its full claim list; from is the first of its
// deltas this node misses (syncgap.go's ask).
func (n *Node) askClaimList(p NodeID, from int) {
	n.send(p, Message{Kind: MsgSyncRequest, Count: from, Members: []Member{n.members.own().Member}})
}

// claimSumsInvariant checks every node's claim sum against its claims
// recomputed: one walk of the slots, O(ids + claims).
func (n *Node) claimSumsInvariant() error {
	r := n.reg
	want := map[NodeID]claimSum{}
	add := func(node NodeID, id ChildID, h heldClaim) {
		s := want[node]
		s.n++
		s.hash += claimHash(id, h)
		want[node] = s
	}
	for id, i := range r.index {
		s := &r.slots[i]
		if s.holder != 0 {
			add(r.nodes.names[s.holder-1], id, s.inline())
		}
		if s.more {
			x := r.more[id]
			for k := range x.n() {
				c := x.at(k)
				add(r.nodes.names[c.node], id, c.held)
			}
		}
	}
	for _, node := range sortedKeys(want) {
		if got := r.sums.get(node); got != want[node] {
			return fmt.Errorf("claims of %s: sum of %d claims %#x, recomputed %d claims %#x", node, got.n, got.hash, want[node].n, want[node].hash)
		}
	}
	for _, node := range sortedKeys(r.sums.by) {
		if _, ok := want[node]; !ok {
			return fmt.Errorf("claims of %s: a sum %+v without claims", node, *r.sums.by[node])
		}
	}
	return nil
}

// countClaims counts the claims of a message about to be sent (Stats).
func (n *Node) countClaims(m *Message) {
	if len(m.Claims) == 0 {
		return
	}
	n.claimsSent += len(m.Claims)
	if m.Full {
		n.fullClaimLists++
	}
}
