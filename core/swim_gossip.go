package core

import (
	"math/bits"
	"sort"
)

// SWIM's dissemination (swim.go): news waits in a bounded queue and rides
// on pings and acks, the least-sent first, until it was sent
// swimRetransmitMult·⌈log2(N+1)⌉ times — enough, in expectation, to
// reach every member of N (SWIM's infection-style spread); the member
// table digest catches what the news missed.

// swimUpdate is one piece of news and how often it was piggybacked.
type swimUpdate struct {
	m     Member
	sends int
}

const (
	// swimPiggybackMax bounds the news one ping or ack carries.
	swimPiggybackMax = 8
	// swimQueueMax bounds the news waiting to be sent; beyond it the most
	// sent news is dropped first.
	swimQueueMax = 256
	// swimRetransmitMult scales how often news is sent (memberlist's
	// RetransmitMult is 4 with log10; log2 with 3 is comparable).
	swimRetransmitMult = 3
)

// swimEnqueue queues news about m.Name, replacing older news about it.
func (n *Node) swimEnqueue(m Member) {
	s := n.swim
	for i := range s.queue {
		if s.queue[i].m.Name == m.Name {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			break
		}
	}
	if len(s.queue) >= swimQueueMax {
		most := 0
		for i := range s.queue {
			if s.queue[i].sends > s.queue[most].sends {
				most = i
			}
		}
		s.queue = append(s.queue[:most], s.queue[most+1:]...)
	}
	s.queue = append(s.queue, swimUpdate{m: m})
}

// swimRetransmits is how often one piece of news is sent in a cluster
// of the current view's size.
func (n *Node) swimRetransmits() int {
	return swimRetransmitMult * bits.Len(uint(len(n.members.view)))
}

// swimPiggyback takes up to swimPiggybackMax pieces of news to send, the
// least-sent first (ties: oldest first), and drops news sent often enough.
func (n *Node) swimPiggyback() []Member {
	s := n.swim
	if len(s.queue) == 0 {
		return nil
	}
	sort.SliceStable(s.queue, func(i, j int) bool { return s.queue[i].sends < s.queue[j].sends })
	k := min(swimPiggybackMax, len(s.queue))
	out := make([]Member, k)
	for i := 0; i < k; i++ {
		out[i] = s.queue[i].m
		s.queue[i].sends++
	}
	limit := n.swimRetransmits()
	kept := s.queue[:0]
	for _, u := range s.queue {
		if u.sends < limit {
			kept = append(kept, u)
		}
	}
	s.queue = kept
	return out
}

// swimDigest summarizes what merging this node's member table can change
// at a peer (membership.merge): the members it knows alive or left, with
// their incarnations. Members it holds down are left out: whether a member
// is down is settled by probes, not tables. It is the sum of one term per
// member (swimDigestTerm), kept up to date by each change of a member
// (membership_delta.go), so reading it costs nothing and a change costs
// one term, not a walk of the table. It is never 0 (a ping without a
// digest carries 0).
func (m *membership) swimDigest() uint64 {
	return nonZeroDigest(m.delta.digest)
}

// swimDigestOfTable computes swimDigest from the whole table (the
// property test compares the two).
func (m *membership) swimDigestOfTable() uint64 {
	var sum uint64
	for _, s := range m.table() {
		sum += swimDigestTerm(s)
	}
	return nonZeroDigest(sum)
}

func nonZeroDigest(d uint64) uint64 {
	if d == 0 {
		return 1
	}
	return d
}

// swimDigestTerm is one member's term of the digest: a hash of its name,
// incarnation and status (FNV-1a with a splitmix finalizer, so that sums
// of terms do not cancel), 0 for a member held down.
func swimDigestTerm(s *memberState) uint64 {
	if s.Status == StatusDown {
		return 0
	}
	const prime = 1099511628211
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(s.Name); i++ {
		h = (h ^ uint64(s.Name[i])) * prime
	}
	h = (h ^ s.Incarnation) * prime
	h = (h ^ uint64(s.Status)) * prime
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
	h = (h ^ (h >> 27)) * 0x94d049bb133111eb
	return h ^ (h >> 31)
}
