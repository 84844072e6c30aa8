package core

import (
	"fmt"
	"slices"
)

// The fence deadline (Ready.LeaseUntil) is the earliest lease of a local
// child, and every input first stops the local children whose lease ends
// within stopAhead (strictExpire). Both once scanned every local child:
// O(N) per input and per batch, so starting N children one request at a
// time cost O(N²). deadlines keeps the leases of local children in a
// min-heap instead, so both cost O(log N) per lease that changed.
//
// Stopped children wait in the node's rounds until their exit is reported
// or their deadline passes; stopDeadlines finds the passed ones the same
// way, so a mass stop does not make every later input visit every
// stopped child.
//
// The heap is lazy: an entry (until, id) is live while id runs here and
// its lease is exactly until; a child's later lease pushes a new entry and
// leaves the old one to be discarded when it reaches the top. A local
// child's lease only grows (renewals keep the larger deadline; dropping or
// stopping a child removes it from the local set), so its live entry is
// its largest. The heap is rebuilt from the local set when stale entries
// outnumber live ones, which keeps it O(N) and costs O(1) amortized per
// push.

// leaseEntry is one pushed lease of a local child.
type leaseEntry struct {
	until Mono
	id    ChildID
}

// leaseHeap is a binary min-heap of leases ordered by deadline, then id,
// so that the order in which equal deadlines leave it does not depend on
// how it was built. (Hand-written rather than container/heap: its boxed
// Pop allocated on every renewal.)
type leaseHeap []leaseEntry

func (h leaseHeap) less(i, j int) bool {
	if h[i].until != h[j].until {
		return h[i].until < h[j].until
	}
	return h[i].id < h[j].id
}

func (h *leaseHeap) push(e leaseEntry) {
	*h = append(*h, e)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

// pop removes and returns the smallest entry; h must not be empty.
func (h *leaseHeap) pop() leaseEntry {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a[last] = leaseEntry{}
	a = a[:last]
	a.down(0)
	*h = a
	return top
}

func (h leaseHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// init restores the heap order of arbitrary contents.
func (h leaseHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// strictTrack records that local child id now runs under lease until.
// Callers: strictMayStart (a child about to start or restart) and
// applyGrant (a renewal of a local child).
//
// A child about to start is not in the local set yet, so the heap is
// rebuilt (from the local set) before the push, never after it: a rebuild
// after the push dropped the new child's entry, and the child then ran
// without a fence deadline (nontransitive strict seed 4307 of the long
// sweep; TestStrictStartThatRebuildsTheHeapKeepsItsDeadline).
func (n *Node) strictTrack(id ChildID) {
	s := n.strict
	if len(s.deadlines) >= 2*len(n.local)+64 {
		n.strictRebuildDeadlines()
	}
	s.deadlines.push(leaseEntry{until: s.valid[id], id: id})
	s.deadlineWork++
}

// strictRebuildDeadlines replaces the heap with one live entry per local
// child.
func (n *Node) strictRebuildDeadlines() {
	s := n.strict
	h := s.deadlines[:0]
	for id := range n.local {
		h = append(h, leaseEntry{until: s.valid[id], id: id})
	}
	s.deadlineWork += len(h)
	s.deadlines = h
	s.deadlines.init()
}

// strictLive reports whether e is the current lease of a local child.
func (n *Node) strictLive(e leaseEntry) bool {
	_, local := n.local[e.id]
	return local && n.strict.valid[e.id] == e.until
}

// strictDeadline returns the earliest lease of a local child (NoLease if
// none runs here), discarding stale entries on top of the heap.
func (n *Node) strictDeadline() Mono {
	s := n.strict
	for len(s.deadlines) > 0 {
		top := s.deadlines[0]
		if n.strictLive(top) {
			return top.until
		}
		s.deadlines.pop()
		s.deadlineWork++
	}
	return NoLease
}

// strictDue returns, sorted and without repeats, the local children whose
// lease ends at or before edge, removing their entries from the heap.
func (n *Node) strictDue(edge Mono) []ChildID {
	s := n.strict
	var due []ChildID
	for len(s.deadlines) > 0 && s.deadlines[0].until <= edge {
		e := s.deadlines.pop()
		s.deadlineWork++
		if n.strictLive(e) {
			due = append(due, e.id)
		}
	}
	slices.Sort(due)
	return slices.Compact(due)
}

// strictTrackStop records that stopped child id stays in the node's
// rounds until s.stopping[id].until (strictStopped).
func (n *Node) strictTrackStop(id ChildID) {
	s := n.strict
	s.stopDeadlines.push(leaseEntry{until: s.stopping[id].until, id: id})
	s.deadlineWork++
	if len(s.stopDeadlines) > 2*len(s.stopping)+64 {
		h := s.stopDeadlines[:0]
		for id, st := range s.stopping {
			h = append(h, leaseEntry{until: st.until, id: id})
		}
		s.deadlineWork += len(h)
		s.stopDeadlines = h
		s.stopDeadlines.init()
	}
}

// strictStopsDue returns, sorted and without repeats, the stopped children
// whose deadline is at or before now: the fence timer has killed them.
func (n *Node) strictStopsDue(now Mono) []ChildID {
	s := n.strict
	var due []ChildID
	for len(s.stopDeadlines) > 0 && s.stopDeadlines[0].until <= now {
		e := s.stopDeadlines.pop()
		s.deadlineWork++
		if st, ok := s.stopping[e.id]; ok && st.until == e.until {
			due = append(due, e.id)
		}
	}
	slices.Sort(due)
	return slices.Compact(due)
}

// strictDeadlineInvariant checks the heap against the local set: every
// local child has a live entry, and the heap's answer is the earliest
// lease of a local child.
func (n *Node) strictDeadlineInvariant() error {
	s := n.strict
	if s == nil {
		return nil
	}
	live := make(map[ChildID]bool, len(n.local))
	for _, e := range s.deadlines {
		if n.strictLive(e) {
			live[e.id] = true
		}
	}
	want := NoLease
	for id := range n.local {
		if !live[id] {
			return fmt.Errorf("strict: local child %s (lease %d) has no entry in the deadline heap", id, s.valid[id])
		}
		want = min(want, s.valid[id])
	}
	stopping := make(map[ChildID]bool, len(s.stopping))
	for _, e := range s.stopDeadlines {
		if st, ok := s.stopping[e.id]; ok && st.until == e.until {
			stopping[e.id] = true
		}
	}
	for id, st := range s.stopping {
		if !stopping[id] {
			return fmt.Errorf("strict: stopped child %s (until %d) has no entry in the stop heap", id, st.until)
		}
	}
	for i := 1; i < len(s.deadlines); i++ {
		if s.deadlines.less(i, (i-1)/2) {
			return fmt.Errorf("strict: deadline heap out of order at %d", i)
		}
	}
	if len(s.deadlines) > 0 && s.deadlines[0].until > want {
		return fmt.Errorf("strict: deadline heap's top %d is after the earliest local lease %d", s.deadlines[0].until, want)
	}
	return nil
}
