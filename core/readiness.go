package core

// Readiness is what a node reports to orchestrators' readiness probes.
type Readiness struct {
	// Synced is true once the node has received a full registry sync
	// from every alive peer at boot (or found none within DownAfter)
	// and from every member that came back since: only then does it
	// serve owner requests and take children over.
	Synced bool
	// Partitioned is true while the node lacks quorum.
	Partitioned bool
	// Left is true once a graceful leave has finished.
	Left bool
	// QuorumAlive and QuorumKnown are, with MajorityQuorum, the alive
	// members this node counts toward quorum (established ones, itself
	// included once established) and the membership it measures them
	// against (core/quorum_members.go); the node holds quorum while
	// QuorumAlive is a majority of QuorumKnown and of the largest
	// membership seen. Zero with every other strategy.
	QuorumAlive, QuorumKnown int
}

// Ready reports whether the node can serve owner requests now: synced,
// not partitioned and not gone.
func (r Readiness) Ready() bool { return r.Synced && !r.Partitioned && !r.Left }

// Readiness returns the node's readiness state (a read; no output).
func (n *Node) Readiness() Readiness {
	r := Readiness{Synced: n.ready(), Partitioned: n.quorum.partitioned, Left: n.left}
	if n.majorityCounts() {
		r.QuorumAlive, r.QuorumKnown = n.quorumCount()
	}
	return r
}
