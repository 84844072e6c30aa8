package core

import "slices"

// The sorted entry ids (registry.ids) come with the slot of each
// (registry.sortedSlots), found when they are sorted. A slot keeps its
// number while its id is known, and an entry id leaves the index only
// after its entry went, which drops the sorted ids: the slots stay valid
// with them. It costs 4 bytes per entry while the sorted ids are kept.
//
// While they stand, per-node claim lists (claimIDs, claimsOf) walk them
// in order — no map iteration, no hashing, no sort per call (claimIDs'
// map iteration and sort were 9% of BenchmarkSim5Nodes1000Children60s's
// CPU: full syncs list the sender's claims, view changes the claims of
// the node that came or went) — when every known id has an entry (ids
// with claims only are rare: a claim ahead of its entry), and a full
// reconcile reads each record at its slot (placement.go). Otherwise
// they work as before.

// slotsOf returns the slot of each of ids, which must all be known.
func (r *registry) slotsOf(ids []ChildID) []uint32 {
	slots := make([]uint32, len(ids))
	for k, id := range ids {
		slots[k] = r.index[id]
	}
	return slots
}

// walkSorted reports whether the claim lists may walk the sorted ids:
// they are kept, and every known id has an entry.
func (r *registry) walkSorted() bool {
	return r.sorted != nil && len(r.index) == r.count
}

// claimIDs returns the ids node claims, sorted.
func (r *registry) claimIDs(node NodeID) []ChildID {
	k := r.nodes.count(node)
	if k == 0 {
		return nil
	}
	out := make([]ChildID, 0, k)
	if !r.walkSorted() {
		for id, i := range r.index {
			if _, ok := r.claimIn(&r.slots[i], id, node); ok {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return out
	}
	for j, id := range r.sorted {
		if _, ok := r.claimIn(&r.slots[r.sortedSlots[j]], id, node); ok {
			out = append(out, id)
		}
	}
	return out
}

// claimsOf returns node's claims, sorted by id (claimIDs with each
// claim), never nil.
func (r *registry) claimsOf(node NodeID) []Claim {
	k := r.nodes.count(node)
	out := make([]Claim, 0, k)
	if k == 0 {
		return out
	}
	if !r.walkSorted() {
		for _, id := range r.claimIDs(node) {
			h, _ := r.claimIn(r.slotOf(id), id, node)
			out = append(out, h.claim(id))
		}
		return out
	}
	for j, id := range r.sorted {
		if h, ok := r.claimIn(&r.slots[r.sortedSlots[j]], id, node); ok {
			out = append(out, h.claim(id))
		}
	}
	return out
}

// sortedIs reports whether ids is still the registry's sorted id list
// (ids): the entry set has not changed since, so sortedSlots, which
// came with ids, still names their slots.
func (r *registry) sortedIs(ids []ChildID) bool {
	return len(ids) > 0 && len(r.sorted) == len(ids) && &r.sorted[0] == &ids[0]
}

// activeAt is activeRecord for the id whose slot is i.
func (r *registry) activeAt(i uint32) (record, bool) {
	s := &r.slots[i]
	if !s.entry {
		return record{}, false
	}
	return s.rec, !s.rec.stopped
}
