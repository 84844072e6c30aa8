package core

import (
	"net/netip"
	"strings"
)

// Configured seeds count as members until they are identified.
//
// A node that boots without a membership (fresh, or restarted in memory)
// knows the cluster only through the member lists it receives. Cut off
// at the instant of its boot from every member that remembers the
// cluster, it may reach only another node that booted without one (a
// joiner): each then takes the other's list — the two of them — as the
// whole membership, establishes the other, and the pair holds two of the
// "two" it knows, or two of the initial three. Both acknowledged
// requests from empty registries while the other side held a majority
// of the real members (rapid seed 6, replay seed 186972: an acknowledged
// child was then reported not found).
//
// The node's own configuration names the cluster it belongs to: its
// seeds. So a MajorityQuorum node counts, among the members it knows,
// every configured seed that it has not identified with a member yet
// (no member of its table or of a member list it received carries the
// seed as its name or its address). An identified seed is counted
// through the table from then on, as every member is. A seed is
// identified for good: one that later leaves or is forgotten does not
// count again. A planned downsize (ResetClusterSize) dismisses the seeds
// not identified by then: a seed list that names a node gone for good
// would otherwise hold the count above the cluster for ever.
//
// Once another member is in the table, the unidentified seeds count in
// each judgement, never in max-seen (at boot, alone in its table, a node
// puts them into max-seen: nothing can be counted twice yet). A
// member can be in the table before its address is: a node first heard
// through a message that carries no member record (a sync, a request, a
// result) enters the table by name only, and its address seed is then
// counted a second time until a heartbeat brings the address. Raised into
// max-seen, which never drops, that moment stayed for good: on real
// phubd processes (address seeds), node-3 of three, seeded with node-1
// and node-2, held max-seen 4, and when node-1 crashed it kept two alive
// of "four" and refused every request while node-2 served
// (e2e TestMajorityQuorumMemorylessPairStaysPartitioned, which hit it in
// every run). Counted per judgement, a seed counted twice costs quorum
// only until the address arrives; a seed identified is in the table (a
// member list's entry is merged into it right after the list identifies
// it), so max-seen counts it from then on. For the same reason a member
// list identifies only the seeds it lists as left (they never enter the
// table, and a node gone for good is not one to wait for) and its
// sender; the others are identified once the list's merge has put them
// in the table, never in between, where they would count nowhere.
//
// A node restored from disk with a view (NewNodeFromSnapshot) counts its
// seeds once, when NewNode first evaluates quorum with nothing but itself
// in its table (max-seen keeps that count: its cluster is at least that
// large, whatever view it last wrote — a node that wrote the view {n1 n2}
// while three of five were down stays partitioned when it comes back
// with n2 only, TestMajorityQuorumRestoredMinorityStaysPartitioned), and
// never again once its persisted view, which becomes its established
// set, is restored: it is not without a membership. It could not
// tell an IP:port seed from the view member it names until that member
// is heard (the view holds names only), and counting both counted each
// peer twice until then — for good, as max-seen never drops: three
// nodes back from a full-cluster crash measured against five, so one
// node down stopped the other two for as long as it was away (durable
// seed 30 of the availability report: children ran 33% of the time
// they were wanted; the class's majority_quorum row fell from 98.2% to
// 53.1%). Only a node that boots without a membership counts its seeds
// for as long as they are unidentified: fresh, restarted in memory,
// restored from an empty view, or booted after losing its disk
// (NewNodeLostState).
//
// Only a seed core can identify is counted: a node name, or an IP
// address with port that a member advertises (Member.Addr). A "dns:"
// seed or a host name stands for addresses core never sees, and is not
// counted; a seed naming this node (its name or advertise address) is
// not counted either.
type seedMembers struct {
	// met holds the configured seeds identified with a member.
	met map[NodeID]bool
	// done: every countable seed is identified, so the node skips the
	// scan of every member list it receives.
	done bool
}

// aloneInTable reports whether the member table holds no member but
// this node: at boot, where the unidentified seeds go into max-seen (no
// member can be counted twice yet), as a restored node's boot-time count
// must (TestMajorityQuorumRestoredMinorityStaysPartitioned).
func (n *Node) aloneInTable() bool {
	for name := range n.members.members {
		if name != n.cfg.Name {
			return false
		}
	}
	return true
}

// seedCount is what a MajorityQuorum judgement counted at the last
// evaluation: the unidentified seeds and the membership known besides
// them.
type seedCount struct {
	unmet, known int
}

// majorityOf returns the membership a MajorityQuorum majority is measured
// against: max-seen, or the members known now plus the unidentified seeds
// if that is more (TrackMaxSize: the count raises the measure as a member
// would, without staying in it).
func (q *quorumState) majorityOf() int {
	if !q.cfg.TrackMaxSize {
		return q.maxSeen
	}
	return max(q.maxSeen, q.seeds.known+q.seeds.unmet)
}

// countableSeed reports whether a seed names one node core can tell
// apart: a node name (no port) or an IP address with port.
func countableSeed(s NodeID) bool {
	str := string(s)
	if str == "" || strings.HasPrefix(str, "dns:") {
		return false
	}
	if !strings.Contains(str, ":") {
		return true
	}
	_, err := netip.ParseAddrPort(str)
	return err == nil
}

// ownSeed reports whether s names this node.
func (n *Node) ownSeed(s NodeID) bool {
	return s == n.cfg.Name || (n.cfg.AdvertiseAddr != "" && s == NodeID(n.cfg.AdvertiseAddr))
}

// unmetSeeds returns how many countable configured seeds no member of
// the table identifies yet, marking the ones it does identify as met.
func (n *Node) unmetSeeds() int {
	sm := &n.quorum.members.seeds
	if sm.done {
		return 0
	}
	open := 0
	for _, s := range n.cfg.Seeds {
		if sm.met[s] || n.ownSeed(s) || !countableSeed(s) {
			continue
		}
		if n.seedInTable(s) {
			n.meetSeed(s)
			continue
		}
		open++
	}
	sm.done = open == 0
	return open
}

// seedInTable reports whether a member of the table carries s as its
// name or its address.
func (n *Node) seedInTable(s NodeID) bool {
	if _, ok := n.members.members[s]; ok {
		return true
	}
	for _, name := range n.members.names() {
		if NodeID(n.members.members[name].Addr) == s {
			return true
		}
	}
	return false
}

func (n *Node) meetSeed(s NodeID) {
	sm := &n.quorum.members.seeds
	if sm.met == nil {
		sm.met = map[NodeID]bool{}
	}
	sm.met[s] = true
}

// noteSeedsIn marks the configured seeds a received member list
// identifies as its sender or as a member that left (not a member to wait
// for, and never in the table); a seed listed otherwise is identified
// once the merge of the list has put it in the table (unmetSeeds).
func (n *Node) noteSeedsIn(from NodeID, list []Member) {
	sm := &n.quorum.members.seeds
	if sm.done {
		return
	}
	for _, s := range n.cfg.Seeds {
		if sm.met[s] {
			continue
		}
		if s == from {
			n.meetSeed(s)
			continue
		}
		for i := range list {
			if list[i].Status != StatusLeft {
				continue
			}
			if list[i].Name == s || (list[i].Addr != "" && NodeID(list[i].Addr) == s) {
				n.meetSeed(s)
				break
			}
		}
	}
}

// seedsKnownFromDisk stops counting the seeds of a node restored from a
// persisted view: the view is the membership it knows. Called before
// anything but the node itself is in its table, it first raises max-seen
// with the seeds (with TrackMaxSize), as NewNode's first evaluation of
// quorum already did: the cluster is at least that large whatever view
// the node last wrote, and the seeds are not counted again, however
// max-seen takes them later.
func (n *Node) seedsKnownFromDisk() {
	if n.cfg.Broken.QuorumSeedsOverRestoredView {
		return
	}
	if n.quorum.cfg.TrackMaxSize && !n.cfg.Broken.QuorumIgnoresSeeds {
		n.quorum.maxSeen = max(n.quorum.maxSeen, 1+n.unmetSeeds())
	}
	n.quorum.members.seeds.done = true
}
