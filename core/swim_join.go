package core

import "slices"

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
// seeds per period (one the first time when it has more:
// swimFirstJoinSeeds), in rotation over its seed list, and only until a
// seed welcomed it (then every 25th period, as a synced node does). A
// node that others joined before it joined (their seed) still joins,
// even through seeds it already holds alive: otherwise the seeds most
// nodes join through never hear of it, and it spreads only as tables do.
// One welcome brings the member list; the members it names alive come up at
// once, without contact (swim_agree.go), and the first probe after it
// pulls the fullest welcomer's table again (swimWelcomed); readiness still waits (up to
// DownAfter after boot) for every seed to show up (checkSynced). The
// all-to-all detector is unchanged: it joins every seed at once.
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

// swimJoinSeeds bounds the seeds a SWIM node joins through per period;
// a node with more seeds joins through one in its first period
// (swimFirstJoinSeeds): every seed that answers sends a welcome with its
// whole member list, and one is all a node needs when its first seed is
// up (booting 200 nodes at once cost 790 welcomes, 3.0 MB, with 4 seeds
// at once; 199 welcomes, 1.0 MB, with one). A node that no seed welcomed
// within the period joins through swimJoinSeeds more. A node with at most
// swimJoinSeeds seeds (every seed list of the simulator's sweeps of 3 to
// 5 nodes) joins them all at once, as before: their welcomes together
// name every member at once, where one would wait for the pull.
const (
	swimJoinSeeds      = 4
	swimFirstJoinSeeds = 1
)

// seedsToJoin returns the seeds the node sends a join to in this
// heartbeat: those it is not connected to (by name or address), all of
// them with the all-to-all detector, at most swimJoinSeeds in rotation
// with SWIM (swimFirstJoinSeeds the first time, with more seeds).
func (n *Node) seedsToJoin() []NodeID {
	if n.swim != nil && (n.swim.welcomed || n.synced) && n.heartbeats%25 != 0 {
		return nil // one welcome is enough: news and tables bring the rest (swim_agree.go)
	}
	var out []NodeID
	seeds := n.cfg.Seeds
	first := n.swim != nil && !n.swim.joinedOnce && len(seeds) > swimJoinSeeds
	start := 0
	if n.swim != nil && len(seeds) > 0 {
		start = n.swim.joinCursor % len(seeds)
	}
	for i := range seeds {
		s := seeds[(start+i)%len(seeds)]
		if s == n.cfg.Name || s == NodeID(n.cfg.AdvertiseAddr) || n.seedConnected(s) && (n.swim == nil || n.swim.welcomed) {
			continue
		}
		out = append(out, s)
		if n.swim != nil && (len(out) == swimJoinSeeds || len(out) == swimFirstJoinSeeds && first) {
			n.swim.joinCursor = start + i + 1
			break
		}
	}
	if n.swim != nil && len(out) > 0 {
		n.swim.joinedOnce = true
	}
	return out
}

// swimPull is the probe out of turn a welcome asks for (swimWelcomed).
type swimPull struct {
	from NodeID
	size int // the members its welcome listed
	// since is the seed's table version its welcome stated (Seq; 0: none)
	// and inc its incarnation then: the probe asks only for the records
	// changed since (appendSince).
	since, inc uint64
}

// swimWelcomed notes a seed's welcome m: the probe of the next protocol
// period goes to the seed whose welcome listed the most members, out of
// turn, and asks for the records changed since the welcome. Nodes that
// boot together join through the same first seed in their lists, which
// holds every member once the joins are in; its welcome carries its table
// as it was when it answered. Pulling what it learned since a period
// later gives a booting node every member at once, where probes of peers
// in turn, each knowing a part, took O(log N) periods and a whole table
// each (forming 200 nodes: every view held every node after 2.6 s; now
// 0.6 s). The welcome and the pull together carry the seed's table once.
func (n *Node) swimWelcomed(m Message) {
	s := n.swim
	if s == nil {
		return
	}
	s.welcomed = true
	if s.pull.from == "" || len(m.Members) > s.pull.size {
		s.pull = swimPull{from: m.From, size: len(m.Members), since: m.Seq, inc: m.Inc}
	}
}

// swimTakePull returns the pull a welcome asked for, if its seed is alive,
// and clears it.
func (n *Node) swimTakePull() (swimPull, bool) {
	p := n.swim.pull
	n.swim.pull = swimPull{}
	return p, p.from != "" && p.from != n.cfg.Name && n.members.alive(p.from)
}

// appendSince appends to dst the members whose presence, status or
// incarnation changed after table version since (membership_delta.go).
func (m *membership) appendSince(dst []Member, since uint64) []Member {
	k := 0
	for _, s := range m.table() {
		k += btoi(s.ver > since)
	}
	dst = slices.Grow(dst, k) // counted first: a pull brings most of a table
	for _, s := range m.table() {
		if s.ver > since {
			dst = append(dst, s.Member)
		}
	}
	return dst
}
