package core

import (
	"maps"
	"slices"
	"strings"
)

// Learning members in batches. Every node of a forming cluster learns
// every other member once, so N nodes learn N² members however they
// learn them; what each costs is the part that can grow. Inserting each
// new name into the sorted names moved the names after it (a memmove of
// the table per member: O(N) per member, O(N³) for the cluster), and
// each learned member's name was inserted into a copy of the view.
//
// Instead a new member's record waits in unsorted, and joins the sorted
// names at the next walk of the table (names, table: gossip, bitmaps,
// the expiry scan) in one merge: the k records added since, sorted, are
// merged from the back into the grown slices, O(N + k log k) for a walk
// that costs O(N) anyway. The view takes many changed members in one
// merge too (mergedView). mergeList learns a member list as merge does
// record by record, sizing the table's map once for a list larger than
// the table instead of growing it step by step.
//
// Nothing reads the sorted names but through names and table (merge and
// the other changes consult the map), so every walk sees the table the
// inserts gave; memberDelta.moved counts the names moved, so a test
// tells a merge from an insert per member.

// mergeList merges each record of list as merge does, in order, and
// returns the transitions merge reported, in a buffer the caller hands
// back with recycle once it has reacted to them.
func (m *membership) mergeList(list []Member, now Instant) []memberTransition {
	ts := m.spareTransitions
	m.spareTransitions = nil // taken: a merge during the reactions allocates its own
	if cap(ts) < len(list) && len(list) > 1 {
		ts = make([]memberTransition, 0, len(list)) // at most one each: no regrowth
	}
	if len(list) > len(m.members) {
		// A table larger than this one (a welcome, a pull): one map of
		// the final size rather than a rehash per doubling. The map's
		// contents are unchanged; its order is never read.
		grown := make(map[NodeID]*memberState, len(m.members)+len(list))
		maps.Copy(grown, m.members)
		m.members = grown
		m.slabHint = len(list) - len(m.members) // at least this many are new: one slab for their records
		m.delta.pending = slices.Grow(m.delta.pending, m.slabHint)
	}
	for _, g := range list {
		if t, ok := m.merge(g, now); ok {
			ts = append(ts, t)
		}
	}
	m.slabHint = 0
	return ts
}

// newRecord returns a zeroed record for a new member: the next of the
// slab, a new slab of slabHint records (1 to 64) when it is used up.
// Records learned together sit together, so walks of the table (bitmaps,
// gossip, the expiry scan) read memory in order instead of chasing one
// allocation per member; a slab stays allocated while one of its records
// is in the table, so one member kept while the rest of its slab churns
// away holds at most 64 records (8 KB).
func (m *membership) newRecord() *memberState {
	if len(m.slab) == 0 {
		m.slab = make([]memberState, min(max(m.slabHint, 1), 64))
	}
	s := &m.slab[0]
	m.slab = m.slab[1:]
	return s
}

// recycle takes back a buffer mergeList returned, emptied.
func (m *membership) recycle(ts []memberTransition) {
	clear(ts)
	m.spareTransitions = ts[:0]
}

// settle merges the records added since the last walk into the sorted
// names and their states: sorted (in place when they came sorted, as
// tables do), then merged from the back into the grown slices.
func (m *membership) settle() {
	add := m.unsorted
	if len(add) == 0 {
		return
	}
	byName := func(a, b *memberState) int { return strings.Compare(string(a.Name), string(b.Name)) }
	if !slices.IsSortedFunc(add, byName) {
		slices.SortFunc(add, byName)
	}
	old := len(m.sorted)
	m.sorted = slices.Grow(m.sorted, len(add))[:old+len(add)]
	m.states = slices.Grow(m.states, len(add))[:old+len(add)]
	i, j := old-1, len(add)-1
	for w := len(m.sorted) - 1; j >= 0; w-- {
		m.delta.moved++
		if i >= 0 && m.sorted[i] > add[j].Name {
			m.sorted[w], m.states[w] = m.sorted[i], m.states[i]
			i--
		} else {
			m.sorted[w], m.states[w] = add[j].Name, add[j]
			j--
		}
	}
	clear(add)
	m.unsorted = add[:0]
}
