package core

// A stop's claim retraction rides with its replication round.
//
// An owner's stop sends each peer a replication round (the tombstones,
// owner.go) while handling the request, and at the end of the input the
// claim delta that retracts the instances it stopped (flushClaims). Sent
// apart, each peer decoded, applied and reconciled every stopped child
// twice, once per message. So when the last message queued for a peer is
// such a round, the delta joins it: the message goes as a MsgClaims
// delta that also carries the round (Entries, IDs, Seq). The receiver
// handles the round first, exactly as a MsgReplicate (acknowledgement
// included), and then the claims (step.go), which is the order of the two
// messages it replaces, and nothing was queued for that peer between
// them.
//
// A node built before this change handles such a message as a claim
// delta and ignores the round in it: the owner's round stays
// unacknowledged until its retry (a plain MsgReplicate) one
// RetryInterval later. Mixed clusters stay correct, their stops slower.

// roundClaimsScan bounds how far back from the end of the queued
// messages flushClaims looks for a peer's last message (the round is
// queued within the input that flushes the delta; a batch of many inputs
// may queue more behind it, and then the delta goes on its own).
const roundClaimsScan = 64

// attachClaimsToRound makes the claim delta (claims at version ver, the
// count-th delta) part of the last message queued for to, if that is a
// replication round that takes it within the message limits, and reports
// whether it did.
func (n *Node) attachClaimsToRound(to NodeID, claims []Claim, ver uint64, count int) bool {
	msgs := n.out.Messages
	for i, k := len(msgs)-1, 0; i >= 0 && k < roundClaimsScan; i, k = i-1, k+1 {
		if msgs[i].To != to {
			continue
		}
		m := &msgs[i].Msg
		if m.Kind != MsgReplicate || m.Seq == 0 || m.Full || m.PartOf != 0 || len(m.Claims) > 0 || m.Version != 0 || !tombstonesOnly(m.Entries) {
			return false
		}
		merged := *m
		merged.Kind, merged.Claims, merged.Version, merged.Count = MsgClaims, claims, ver, count
		size, ok := n.cfg.Limits.fits(&merged)
		if !ok {
			return false
		}
		*m, msgs[i].Bytes = merged, size
		n.countClaims(m) // claimsdigest.go, as send counts a claim message
		return true
	}
	return false
}

// tombstonesOnly reports whether entries are a stop's new versions only
// (a non-empty list of tombstones): the rounds whose claim delta rides
// with them. A start's round and its claims still go apart (merging them
// is not needed for the stop, and would change every start's trace too).
func tombstonesOnly(entries []Entry) bool {
	for i := range entries {
		if !entries[i].Stopped {
			return false
		}
	}
	return len(entries) > 0
}

// carriesRound reports whether m, a MsgClaims, carries a replication
// round (attachClaimsToRound).
func carriesRound(m *Message) bool { return m.Seq != 0 || len(m.Entries) > 0 || len(m.IDs) > 0 }
