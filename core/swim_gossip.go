package core

import (
	"math/bits"
	"slices"
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
	n.swim.queue = enqueueNews(n.swim.queue, m)
}

// swimRetransmits is how often one piece of news is sent in a cluster
// of the current view's size.
func (n *Node) swimRetransmits() int {
	return swimRetransmitMult * bits.Len(uint(len(n.members.view)))
}

// swimPiggyback takes up to swimPiggybackMax pieces of news to send, the
// least-sent first (ties: oldest first), and drops news sent often enough.
func (n *Node) swimPiggyback() []Member {
	var out []Member
	out, n.swim.queue = takeNews(n.swim.queue, n.swimRetransmits())
	return out
}

// The news queue is kept in the order news is sent in: by how often it
// was sent, ties in the order it was queued (or, once sent, in the order
// of its last send). That is the order a stable sort by sends gives the
// queue as it was appended to; it used to be sorted so at every ping and
// ack (O(q log q) for a queue of up to 256, ×6.6 from 100 to 200 nodes
// forming), it now stays sorted: news never sent goes after the news
// never sent before it, and the news just sent is merged back in once.

// enqueueNews queues news m in q (sorted), replacing older news about
// m.Name; a full queue drops the first of its most-sent news (the queue
// ends with them).
func enqueueNews(q []swimUpdate, m Member) []swimUpdate {
	for i := range q {
		if q[i].m.Name == m.Name {
			q = append(q[:i], q[i+1:]...)
			break
		}
	}
	if len(q) >= swimQueueMax {
		most := len(q) - 1
		for most > 0 && q[most-1].sends == q[most].sends {
			most--
		}
		q = append(q[:most], q[most+1:]...)
	}
	i := 0 // after the news never sent, before the news sent
	for i < len(q) && q[i].sends == 0 {
		i++
	}
	return slices.Insert(q, i, swimUpdate{m: m})
}

// takeNews returns the first swimPiggybackMax pieces of news of q
// (sorted), counts them sent, drops the news sent limit times and keeps
// the rest sorted: the news just sent, sorted among itself, is merged
// back before the news sent as often.
func takeNews(q []swimUpdate, limit int) ([]Member, []swimUpdate) {
	if len(q) == 0 {
		return nil, q
	}
	k := min(swimPiggybackMax, len(q))
	out := make([]Member, k)
	var sent [swimPiggybackMax]swimUpdate
	a := sent[:0]
	for i := 0; i < k; i++ {
		out[i] = q[i].m
		if q[i].sends+1 < limit {
			a = append(a, swimUpdate{m: q[i].m, sends: q[i].sends + 1})
		}
	}
	w := 0
	for j := k; j < len(q); j++ {
		if q[j].sends >= limit {
			continue
		}
		for len(a) > 0 && a[0].sends <= q[j].sends {
			q[w], a = a[0], a[1:]
			w++
		}
		q[w] = q[j]
		w++
	}
	w += copy(q[w:], a)
	clear(q[w:])
	return out, q[:w]
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
