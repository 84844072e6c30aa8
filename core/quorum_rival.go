package core

// Majority quorum refuses rival writes, as strict mode does.
//
// A heal is noticed link by link: a node that was cut off regains quorum
// as soon as it sees a majority alive, and counts itself synced once
// every member that came back has sent it a full sync (sync.go, needSync).
// Neither tells it what the other side decided: a member's full sync
// leaves it when that member notices the node, and a write the member
// acknowledges a moment later, for an owner on the other side that does
// not see the node yet, is in no sync the node waits for. netfault's c03
// (README, "Reliability on real processes"): split {n2,n3} | {n1,n4,n5};
// at the heal n4 saw n2 first and sent it its sync; then n5, owner of c03
// on the majority side, started it at epoch 12 (acknowledged by n1 and
// n4) and answered ok; n2, regained quorum with {n2,n3,n4} and owner of
// c03 again in its view, held only the tombstone of epoch 11, started c03
// at epoch 12 on itself and replicated to n3 and n4, which acknowledged:
// two acknowledged starts without a stop between
// (TestMajorityQuorumHealStartMeetsRival).
//
// Two majorities share a member — n4 here — and that member held the
// first start when the second round arrived. So a majority-quorum peer,
// like a strict voter, refuses to acknowledge a round whose write meets a
// rival version (conflict.go writeConflicts, rival) and keeps refusing a
// version it took from a peer in place of a rival (strict_contested.go):
// the owner answers that child with an unknown outcome (ErrTimeout),
// never ok. The cost is the one strict mode pays: a write that races a
// descendant of itself, or a request two owners both executed after a
// view change, is answered with an unknown outcome although it took
// effect.

// A refusal only helps where both rounds reach the member they share. An
// owner's round waits for every peer it sees alive and stops waiting for
// one that goes down, so while the view changes under it (a peer down,
// another one up) it could end acknowledged by fewer than a majority and
// still find quorum at the end: then no member need hold both writes. A
// majority-quorum owner therefore answers ok only when the members that
// acknowledged the round, with itself, would make a quorum
// (majorityShortOfAcks): established members only, measured against the
// membership it knows, as quorumState.hasQuorum judges its view. Below
// that the outcome is unknown (ErrTimeout), as when quorum was lost while
// replicating; strict mode has the same rule for its voters
// (strict_acks.go).

// refusesRivalWrites reports whether this node refuses an owner's round
// whose write meets a rival version: in strict mode and with majority
// quorum (unless Broken.MajorityAcceptsRivalWrites).
func (n *Node) refusesRivalWrites() bool {
	if n.strict != nil {
		return true
	}
	return n.quorum.cfg.Kind == MajorityQuorum && !n.cfg.Broken.MajorityAcceptsRivalWrites
}

// collectContested forgets, outside strict mode (whose lease rounds do
// it), the contested versions of children whose entry was collected.
func (n *Node) collectContested() {
	if n.strict == nil && len(n.quorum.contested) > 0 {
		n.contestedCollect()
	}
}

// majorityCountsAcks reports whether this node answers an owner's round
// only once acknowledgements from a quorum of members came in: majority
// quorum (unless Broken.MajorityAcceptsRivalWrites).
func (n *Node) majorityCountsAcks() bool {
	return n.strict == nil && n.majorityCounts() && !n.cfg.Broken.MajorityAcceptsRivalWrites && !n.cfg.Broken.QuorumCountsViews
}

// majorityShortOfAcks reports whether op sent a replication round that
// the established members among the peers that acknowledged it, and this
// node if established, do not make a quorum of. False outside majority
// quorum and for ops that sent no round.
func (n *Node) majorityShortOfAcks(op *ownerOp) bool {
	if !n.majorityCountsAcks() || op.replSeq == 0 || n.cfg.Broken.AckBeforeReplicate {
		return false
	}
	est := n.quorum.members.est
	acks := 0
	if est[n.cfg.Name] {
		acks++
	}
	for _, p := range op.acked {
		if est[p] {
			acks++
		}
	}
	return !n.quorum.hasQuorum(acks)
}
