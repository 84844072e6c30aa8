package core

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestSlotsMatchPerNodeClaimMaps: the registry's slots (an entry and one
// claim inline per id, further claims aside) answer every claim and
// entry question as the per-node claim maps and the entry map they
// replaced would, under any sequence of entry writes and removals and
// claim sets and drops by several nodes: claim, claimIDs, claimCount,
// the total, the claimers, a view's replicas in the alive nodes' order;
// and the storage invariant (no empty slot kept, counts exact, a node
// with no claim forgotten) holds after every step.
func TestSlotsMatchPerNodeClaimMaps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newRegistry()
		claims := map[NodeID]map[ChildID]heldClaim{}
		entries := map[ChildID]bool{}
		nodes := []NodeID{"a", "b", "c", "d"}
		ids := []ChildID{"x", "y", "z"}
		epoch := uint64(0)
		for step := range rapid.IntRange(1, 60).Draw(t, "steps") {
			id := rapid.SampledFrom(ids).Draw(t, "id")
			node := rapid.SampledFrom(nodes).Draw(t, "node")
			switch op := rapid.IntRange(0, 3).Draw(t, "op"); op {
			case 0:
				epoch++
				r.put(&Entry{Spec: ChildSpec{ID: id, Kind: "k"}, Epoch: epoch, By: node})
				entries[id] = true
			case 1:
				r.remove(id)
				delete(entries, id)
			case 2:
				c := Claim{ID: id, Epoch: uint64(step), Instance: uint64(step) * 7, Ver: uint64(step), Active: step%2 == 0}
				r.setClaim(node, c)
				if claims[node] == nil {
					claims[node] = map[ChildID]heldClaim{}
				}
				claims[node][id] = heldClaim{epoch: c.Epoch, instance: c.Instance, ver: c.Ver, active: c.Active}
			case 3:
				_, want := claims[node][id]
				if got := r.dropClaim(node, id); got != want {
					t.Fatalf("step %d: dropClaim(%s, %s) = %v, want %v", step, node, id, got, want)
				}
				delete(claims[node], id)
			}
			if err := r.slotsInvariant(); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			total := 0
			var claimers []NodeID
			for _, n := range nodes {
				want := sortedChildKeys(claims[n])
				if len(want) == 0 {
					want = nil
				} else {
					claimers = append(claimers, n)
				}
				if got := r.claimIDs(n); !slices.Equal(got, want) {
					t.Fatalf("step %d: claimIDs(%s) = %v, want %v", step, n, got, want)
				}
				if got := r.claimCount(n); got != len(want) {
					t.Fatalf("step %d: claimCount(%s) = %d, want %d", step, n, got, len(want))
				}
				total += len(want)
				for _, i := range ids {
					h, ok := claims[n][i]
					got, gotOK := r.claim(n, i)
					if gotOK != ok || (ok && got != h.claim(i)) {
						t.Fatalf("step %d: claim(%s, %s) = %+v %v, want %+v %v", step, n, i, got, gotOK, h.claim(i), ok)
					}
				}
			}
			if r.totalClaims() != total || !slices.Equal(r.claimers(), claimers) {
				t.Fatalf("step %d: %d claims by %v, want %d by %v", step, r.totalClaims(), r.claimers(), total, claimers)
			}
			alive := []NodeID{"d", "b", "a"} // a view's order, not the names'
			for _, i := range ids {
				v := r.view(i, alive, func(NodeID) uint64 { return 1 })
				if v == nil {
					if entries[i] {
						t.Fatalf("step %d: no view of %s, which has an entry", step, i)
					}
					continue
				}
				var want []NodeID
				for _, n := range alive {
					if _, ok := claims[n][i]; ok {
						want = append(want, n)
					}
				}
				if got := v.Nodes(); !slices.Equal(got, want) && len(got)+len(want) > 0 {
					t.Fatalf("step %d: view of %s names %v, want %v", step, i, got, want)
				}
			}
			if r.len() != len(entries) {
				t.Fatalf("step %d: %d entries, want %d", step, r.len(), len(entries))
			}
		}
	})
}
