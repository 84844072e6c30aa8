package core

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestKeyOrderClaimListsMatchAModel: under any sequence of entry writes
// and removals and claim sets and drops (slots freed and reused by other
// ids, claims without entries), with or without the sorted ids (ids()
// sorts them), claimIDs and claimsOf list exactly each node's claims,
// sorted by id, and while the sorted ids stand each one's slot is its
// slot in the index.
func TestKeyOrderClaimListsMatchAModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newRegistry()
		claims := map[NodeID]map[ChildID]Claim{}
		nodes := []NodeID{"a", "b", "c"}
		ids := []ChildID{"v", "w", "x", "y", "z"}
		epoch := uint64(0)
		for step := range rapid.IntRange(1, 80).Draw(t, "steps") {
			id := rapid.SampledFrom(ids).Draw(t, "id")
			node := rapid.SampledFrom(nodes).Draw(t, "node")
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				epoch++
				r.put(&Entry{Spec: ChildSpec{ID: id, Kind: "k"}, Epoch: epoch, By: node})
			case 1:
				r.remove(id)
			case 2:
				c := Claim{ID: id, Epoch: uint64(step), Instance: uint64(step) * 3, Ver: uint64(step), Active: step%3 == 0}
				r.setClaim(node, c)
				if claims[node] == nil {
					claims[node] = map[ChildID]Claim{}
				}
				claims[node][id] = c
			case 3:
				r.dropClaim(node, id)
				delete(claims[node], id)
			}
			if rapid.Bool().Draw(t, "sort") {
				ids := r.ids() // sorts, with the slots, if the entry set changed
				if !r.isSortedEntryList(ids) {
					t.Fatalf("step %d: ids() = %v", step, ids)
				}
			}
			if r.sorted != nil {
				if len(r.sortedSlots) != len(r.sorted) {
					t.Fatalf("step %d: %d sorted ids, %d slots", step, len(r.sorted), len(r.sortedSlots))
				}
				for k, id := range r.sorted {
					if i, ok := r.index[id]; !ok || i != r.sortedSlots[k] {
						t.Fatalf("step %d: sorted id %s has slot %d, index says %d %v", step, id, r.sortedSlots[k], i, ok)
					}
					if rec, active := r.activeAt(r.sortedSlots[k]); rec != r.slots[r.index[id]].rec || active != r.isActive(id) {
						t.Fatalf("step %d: activeAt(%s's slot) = %v %v", step, id, rec, active)
					}
				}
			}
			for _, n := range nodes {
				wantIDs := sortedChildKeys(claims[n])
				var want []Claim
				for _, id := range wantIDs {
					want = append(want, claims[n][id])
				}
				if len(wantIDs) == 0 {
					wantIDs = nil
				}
				if got := r.claimIDs(n); !slices.Equal(got, wantIDs) {
					t.Fatalf("step %d: claimIDs(%s) = %v, want %v", step, n, got, wantIDs)
				}
				if got := r.claimsOf(n); got == nil || !slices.Equal(got, want) {
					t.Fatalf("step %d: claimsOf(%s) = %v, want %v (never nil)", step, n, got, want)
				}
			}
		}
	})
}
