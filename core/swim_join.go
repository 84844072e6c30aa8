package core

// Joining through many seeds with the SWIM detector. A node joins
// through the seeds it is not connected to at every protocol period until
// it is synced (step.go, heartbeat), and each seed answers a join with a
// welcome carrying its whole member list and a full sync. A node whose
// seed list names every member (a Kubernetes headless service, or the
// simulator's clusters, where each node lists the nodes booted before
// it) sent N−1 joins at once and got N−1 member lists back: booting N
// nodes together cost N² welcomes of N members each, N³ in all — the
// largest part of forming 200 SWIM nodes.
//
// With SWIM a node therefore joins through at most swimJoinSeeds of those
// seeds per period, in rotation over its seed list, and only while it
// has no peer (then every 25th period, as a synced node does). One
// welcome brings the member list; the members it names alive come up at
// once, without contact (swim_agree.go); readiness still waits (up to
// DownAfter after boot) for every seed to show up (checkSynced). A node with at most swimJoinSeeds seeds to join — every
// seed list of the simulator's sweeps of 3 to 5 nodes — joins them all
// at once, as before. The all-to-all detector is unchanged.
//
// For the same reason the ack to a contact ping — the ping that makes
// direct contact with a member just learned, or probes a member held down
// (Seq 0) — carries no member table, even when the digests differ: every
// node pinging every member it learned while N nodes form would otherwise
// receive N member tables of N members. The ack says so with Full set and
// no table after its news (Count is all of its members), which a
// majority-quorum node does not count as a report (quorum_members.go: an
// empty list reports nothing) and which merges nothing. Tables still
// converge through the acks to probes (one per node per period, each with
// the table when the digests differ), which are unchanged.

// swimJoinSeeds bounds the seeds a SWIM node joins through per period.
const swimJoinSeeds = 4

// seedsToJoin returns the seeds the node sends a join to in this
// heartbeat: those it is not connected to (by name or address), all of
// them with the all-to-all detector, at most swimJoinSeeds in rotation
// with SWIM.
func (n *Node) seedsToJoin() []NodeID {
	if n.swim != nil && len(n.members.peers()) > 0 && n.heartbeats%25 != 0 {
		return nil // one welcome is enough: news and tables bring the rest (swim_agree.go)
	}
	var out []NodeID
	seeds := n.cfg.Seeds
	start := 0
	if n.swim != nil && len(seeds) > 0 {
		start = n.swim.joinCursor % len(seeds)
	}
	for i := range seeds {
		s := seeds[(start+i)%len(seeds)]
		if s == n.cfg.Name || s == NodeID(n.cfg.AdvertiseAddr) || n.seedConnected(s) {
			continue
		}
		out = append(out, s)
		if n.swim != nil && len(out) == swimJoinSeeds {
			n.swim.joinCursor = start + i + 1
			break
		}
	}
	return out
}
