package core

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestKeyOrderClaimListsMatchAModel: under any sequence of entry writes
// and removals and claim sets and drops (slots freed and reused by other
// ids), claimIDs and claimsOf list exactly each node's claims, sorted by
// id, and the cached key list holds every id with a slot, sorted, each
// with its own slot.
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
			keys := r.keyOrder()
			if len(keys) != len(r.index) || !slices.IsSortedFunc(keys, func(a, b keyRef) int { return compareIDs(a.id, b.id) }) {
				t.Fatalf("step %d: key list %v does not list the %d ids sorted", step, keys, len(r.index))
			}
			for _, k := range keys {
				if i, ok := r.index[k.id]; !ok || i != k.slot {
					t.Fatalf("step %d: key %s names slot %d, index says %d %v", step, k.id, k.slot, i, ok)
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

func compareIDs(a, b ChildID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
