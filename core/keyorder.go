package core

import (
	"cmp"
	"slices"
)

// keyRef is one id the registry knows (an entry or a claim) and the
// number of its slot.
type keyRef struct {
	id   ChildID
	slot uint32
}

// keyOrder returns every id with a slot, sorted, each with its slot
// number. The list is cached until the key set changes (newSlot,
// freeIfEmpty); callers must not modify it. A slot keeps its number while
// its id is known, so the numbers stay valid with the list.
//
// Per-node claim lists (claimIDs, claimsOf) walk it in order: no map
// iteration, no hashing and no sort per call (claimIDs' iteration and
// sort were 9% of BenchmarkSim5Nodes1000Children60s's CPU: full syncs
// list the sender's claims, view changes the claims of the node that
// came or went).
func (r *registry) keyOrder() []keyRef {
	if r.keys == nil {
		keys := make([]keyRef, 0, len(r.index))
		for id, i := range r.index {
			keys = append(keys, keyRef{id, i})
		}
		slices.SortFunc(keys, func(a, b keyRef) int { return cmp.Compare(a.id, b.id) })
		r.keys = keys
	}
	return r.keys
}

// claimIDs returns the ids node claims, sorted.
func (r *registry) claimIDs(node NodeID) []ChildID {
	k := r.nodes.count(node)
	if k == 0 {
		return nil
	}
	out := make([]ChildID, 0, k)
	for _, kr := range r.keyOrder() {
		if _, ok := r.claimIn(&r.slots[kr.slot], kr.id, node); ok {
			out = append(out, kr.id)
		}
	}
	return out
}

// claimsOf returns node's claims, sorted by id (claimIDs with each
// claim, without a lookup per id).
func (r *registry) claimsOf(node NodeID) []Claim {
	k := r.nodes.count(node)
	out := make([]Claim, 0, k)
	if k == 0 {
		return out
	}
	for _, kr := range r.keyOrder() {
		if h, ok := r.claimIn(&r.slots[kr.slot], kr.id, node); ok {
			out = append(out, h.claim(kr.id))
		}
	}
	return out
}

// appendEntryKeys appends to ids every id of keys (keyOrder's list) that
// has an entry, tombstones included — ids() in the same order — and to
// slots the slot of each.
func (r *registry) appendEntryKeys(ids []ChildID, slots []uint32, keys []keyRef) ([]ChildID, []uint32) {
	for _, k := range keys {
		if r.slots[k.slot].entry {
			ids = append(ids, k.id)
			slots = append(slots, k.slot)
		}
	}
	return ids, slots
}

// keysAre reports whether keys is still the registry's key list: no id
// gained or lost its slot since keyOrder returned it, so its slot
// numbers still name their ids' slots.
func (r *registry) keysAre(keys []keyRef) bool {
	return len(keys) > 0 && len(r.keys) == len(keys) && &r.keys[0] == &keys[0]
}

// activeAt is activeRecord for the id whose slot is i.
func (r *registry) activeAt(i uint32) (record, bool) {
	s := &r.slots[i]
	if !s.entry {
		return record{}, false
	}
	return s.rec, !s.rec.stopped
}
