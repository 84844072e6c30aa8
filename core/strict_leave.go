package core

// A graceful leave in strict mode ends with a release round. Without it
// the voters keep granting a leaving node's children to nobody else until
// their hold of its last grant ends (L·(1+ρ) + margin after its last
// round), so a graceful leave cost as much failover time as a crash. The
// leaving node stops its children, keeps listing them in its rounds until
// each is known gone (its exit reported, or its lease deadline passed: the
// driver's fence has killed it by then), and only then sends one last
// round that lists nothing and leaves. A voter that records that round
// keeps nothing for the node any more and grants its children to their
// new owner at once. Safe because nothing of the node runs when the
// release round is sent, and a left node starts nothing again; an older
// round arriving later is stale at every voter (rounds are numbered per
// holder), and a lost release round only falls back to the hold.

// strictLeaveReleased runs while a strict node leaves, after it stopped
// its children. It reports false while an instance it stopped may still
// run (the leave waits); otherwise it sends the release round and reports
// true.
func (n *Node) strictLeaveReleased() bool {
	s := n.strict
	if len(s.stopping) > 0 {
		return false
	}
	clear(s.want)
	if s.monoSet {
		n.strictRound() // lists nothing: every voter releases this node's children
	}
	return true
}
