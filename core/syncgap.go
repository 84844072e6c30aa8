package core

import "slices"

// Lost claim deltas. A node pushes its claim changes to its peers as
// deltas (flushClaims) that nobody acknowledges, so a lost delta used to
// stay lost until the sender's next full claim list: anti-entropy, every
// Sync.Interval (15 s by default), itself lossy. A lost retraction left
// the receiver listing an instance that no longer runs, and no later
// delta repaired it, since a delta carries only the children it changes
// (TestBenchClusterConverges with a join's duplicate full sync cut: n2's
// retraction of b0 to n5 was lost, then n2's next full list, and n5 kept
// the stale claim to the end of the run).
//
// Every claim message therefore carries in Count the number of claim
// deltas its sender has sent in its incarnation: a delta counts itself, a
// full list (a full sync, anti-entropy, the answer to a claims ask)
// counts the deltas it covers. A receiver that has a full list of the
// sender and gets delta k without having applied delta k-1 knows that a
// delta is lost or late. If the hole is still open a RetryInterval later
// (a late delta fills it), it asks the sender for its full claim list (a
// MsgSyncRequest with Count set: the first delta it misses), again every
// RetryInterval until a full list or the missing deltas close the hole.
// All-to-all heartbeats show the sender's count too, so the loss of a
// last delta before a quiet spell is seen at the next heartbeat. A sender
// that names no count (an older peer) is not tracked.

// maxClaimsAhead bounds the deltas a receiver remembers past a hole; one
// received beyond it is forgotten and counts as missing (asked again).
const maxClaimsAhead = 64

// claimStream is what a node received of one peer's claim messages.
type claimStream struct {
	// next is the first delta not yet applied; 0 until a full list came.
	next int
	// ahead holds deltas applied past a hole, sorted.
	ahead []int
	// known is the highest delta number the sender has shown: a delta,
	// a full list, or a heartbeat's count. The hole is open while
	// next <= known: deltas the sender sent are not applied here.
	known int
	// holeSince is when the hole opened; asked when the node last asked
	// for the full list (0: not yet).
	holeSince, asked Instant
}

// holeOpen reports whether s misses a delta its sender has shown.
func (s *claimStream) holeOpen() bool { return s.next != 0 && s.next <= s.known }

// noteDeltasShown records that node showed, in a heartbeat, that it has
// sent count claim deltas: the last of them lost leaves no later delta to
// show the hole, the next heartbeat does.
func (n *Node) noteDeltasShown(node NodeID, count int) {
	if s := n.claimStreams[node]; s != nil && count > s.known {
		open := s.holeOpen()
		s.known = count
		n.holeChanged(s, open)
	}
}

// noteClaimCount records that a claim message of node numbered count
// (full: a full list covering count deltas) was applied.
func (n *Node) noteClaimCount(node NodeID, full bool, count int) {
	if count < 0 || (count == 0 && !full) {
		return // an unnumbered delta (or a broken count)
	}
	s := n.claimStreams[node]
	if s == nil {
		if !full {
			return // the full sync every member sends on contact comes first
		}
		if n.claimStreams == nil {
			n.claimStreams = map[NodeID]*claimStream{}
		}
		s = &claimStream{}
		n.claimStreams[node] = s
	}
	open := s.holeOpen()
	s.known = max(s.known, count)
	switch {
	case full:
		s.next = max(s.next, count+1)
	case count == s.next:
		s.next++
	case count > s.next:
		if i, found := slices.BinarySearch(s.ahead, count); !found && len(s.ahead) < maxClaimsAhead {
			s.ahead = slices.Insert(s.ahead, i, count)
		}
	}
	// Close what the deltas past the hole now continue.
	k := 0
	for k < len(s.ahead) && s.ahead[k] <= s.next {
		if s.ahead[k] == s.next {
			s.next++
		}
		k++
	}
	s.ahead = s.ahead[k:]
	if len(s.ahead) == 0 {
		s.ahead = nil
	}
	n.holeChanged(s, open)
}

// holeChanged counts s's hole opening or closing (open: before).
func (n *Node) holeChanged(s *claimStream, open bool) {
	switch nowOpen := s.holeOpen(); {
	case nowOpen && !open:
		s.holeSince, s.asked = n.now, 0
		n.claimHoles++
	case !nowOpen && open:
		n.claimHoles--
	}
}

// forgetClaimStream drops what the node knew of node's claim messages
// (it restarted: its deltas count from 1 again, or it was forgotten).
func (n *Node) forgetClaimStream(node NodeID) {
	if s := n.claimStreams[node]; s != nil {
		if s.holeOpen() {
			n.claimHoles--
		}
		delete(n.claimStreams, node)
	}
}

// askForLostClaims asks every alive peer whose claim stream has had a
// hole for a RetryInterval for its full claim list. A peer whose full
// sync the node awaits anyway is not asked (askForMissingSyncs is).
func (n *Node) askForLostClaims(now Instant) {
	if n.claimHoles == 0 {
		return
	}
	retry := n.cfg.Timing.RetryInterval
	for _, node := range sortedKeys(n.claimStreams) {
		s := n.claimStreams[node]
		if !s.holeOpen() || !n.members.alive(node) || n.needSync[node] || (!n.synced && !n.syncedFrom[node]) {
			continue
		}
		if now.Sub(s.holeSince) < retry || (s.asked != 0 && now.Sub(s.asked) < retry) {
			continue
		}
		s.asked = now
		n.askClaimList(node, s.next) // claimsdigest.go
	}
}

// sendClaimList answers a claims ask: this node's full claim list.
func (n *Node) sendClaimList(to NodeID) {
	n.send(to, n.fullClaimList())
}

// fullClaimList returns this node's full claim list at a new claims
// version, numbered with the deltas it covers.
func (n *Node) fullClaimList() Message {
	n.claimsVer++
	return Message{Kind: MsgClaims, Claims: n.ownClaims(), Full: true, Version: n.claimsVer, Count: n.claimDeltas}
}
