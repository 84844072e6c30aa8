package core

import "slices"

// An owner's replication round waits for every peer it sees alive, and
// drops a peer from the wait when it goes down. In strict mode that is
// not enough for an "ok": peers seen alive at the end need not be the
// ones the round was sent to (one went down, another came up), so the
// peers that acknowledged can be fewer than a majority of the voters
// while the node still sees a majority alive. Two rival rounds are only
// sure to meet at a peer that refuses the second (conflict.go) if each
// reached a majority of the voters, so strict mode answers such a round
// with an unknown outcome, like one that lost quorum.

// noteAck records that peer from acknowledged op's round (strict mode
// and majority quorum count them: quorum_rival.go).
func (n *Node) noteAck(op *ownerOp, from NodeID) {
	if (n.strict == nil && !n.majorityCountsAcks()) || slices.Contains(op.acked, from) {
		return
	}
	op.acked = append(op.acked, from)
}

// strictShortOfMajority reports whether op sent a replication round that
// fewer than a majority of the voters (this node counted if it votes)
// acknowledged. False outside strict mode and for ops that sent no round.
func (n *Node) strictShortOfMajority(op *ownerOp) bool {
	s := n.strict
	if s == nil || op.replSeq == 0 || n.cfg.Broken.AckBeforeReplicate {
		return false
	}
	votes := 0
	if s.selfVoter {
		votes++
	}
	for _, p := range op.acked {
		if slices.Contains(s.voters, p) {
			votes++
		}
	}
	return votes < s.majority
}
