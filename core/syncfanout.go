package core

import "slices"

// Anti-entropy's fan-out. Every Sync.Interval a node sends its registry
// digest and its full claim list (sync.go, antiEntropy). Sent to every
// peer, that is 2·(N−1) messages per interval per node: the one part of an
// idle SWIM node's traffic that grew with the cluster (17 messages/s per
// node at 100 nodes, 31 at 200), and an N² burst of messages while a
// cluster forms (every node's first round, at boot, goes to every member
// it knows).
//
// So a round goes to a bounded number of peers (Sync.FanOut with the
// gossip strategy, as before), in rotation over the sorted peers starting
// after the node itself (with both strategies): round r of every node reaches the r-th group of
// the peers that follow it, so every node also hears from about as many
// peers per round as it sends to, and every peer gets the node's digest
// and claims within AntiEntropyRounds rounds. With pub/sub the width is
// antiEntropyFanOut (8), or more where 8 would not reach every peer within
// half the tombstone TTL: a node that missed a stop (a lost push) must
// learn the tombstone before its peers collect it, or its stale live
// entry would bring the child back. With the default timings (15 s
// rounds, 5 min TTL: 10 rounds) that is 8 peers per round up to 81
// nodes, ⌈(N−1)/10⌉ beyond; clusters of at most 9 nodes are unchanged
// (every peer, every round).
//
// What anti-entropy repairs does not wait for the rotation where it
// matters: a member that comes up gets a full sync directly (readiness,
// onMemberTransition), claim changes and entries are pushed to every peer
// when they happen, and a digest that differs triggers a full exchange
// both ways — the rotation only bounds how soon a lost push is repaired.

// antiEntropyFanOut is the least width of a pub/sub anti-entropy round.
const antiEntropyFanOut = 8

// AntiEntropyRounds returns how many anti-entropy rounds it takes a node
// of cfg with peers peers to send its digest and claims to every one of
// them: 1 while they fit in one round, ⌈peers/width⌉ beyond (width:
// Sync.FanOut with the gossip strategy; with pub/sub 8, or more if 8
// would not reach them all within half of Timing.TombstoneTTL).
func AntiEntropyRounds(cfg Config, peers int) int {
	w := antiEntropyWidth(cfg, peers)
	return max(1, (peers+w-1)/w)
}

// antiEntropyWidth is how many of peers peers one round reaches.
func antiEntropyWidth(cfg Config, peers int) int {
	if cfg.Sync.Kind == Gossip {
		return cfg.Sync.FanOut
	}
	rounds := 1 // rounds that fit in half the TTL
	if cfg.Sync.Interval > 0 {
		rounds = max(1, int(cfg.Timing.TombstoneTTL/(2*cfg.Sync.Interval)))
	}
	return max(antiEntropyFanOut, (peers+rounds-1)/rounds)
}

// antiEntropyTargets returns the peers (sorted) this anti-entropy round
// goes to, and advances the rotation. peers must be sorted.
func (n *Node) antiEntropyTargets(peers []NodeID) []NodeID {
	w := antiEntropyWidth(n.cfg, len(peers))
	if len(peers) <= w {
		return peers
	}
	// Start after self (with either strategy), so rounds spread over the
	// cluster instead of every node sending its first round to the same
	// few peers (the first of the sorted peers got every node's first
	// gossip round: TestAntiEntropyRotationStartsAfterSelf).
	start, _ := slices.BinarySearch(peers, n.cfg.Name)
	pick := make([]NodeID, 0, w)
	for i := 0; i < w; i++ {
		pick = append(pick, peers[(start+n.gossipCursor+i)%len(peers)])
	}
	n.gossipCursor = (n.gossipCursor + w) % len(peers)
	return sortedNodes(pick)
}
