package core

import (
	"fmt"
	"slices"
	"testing"
)

// TestLastClaimPerChildWithMatchesPairwise: the map path (more than
// smallClaimBatch claims, its map reused from call to call) keeps the
// same claims in the same order as the pairwise comparison, for lists
// with and without repeated ids, and leaves the reused map empty.
func TestLastClaimPerChildWithMatchesPairwise(t *testing.T) {
	var last map[ChildID]int
	for size := 2; size <= 40; size++ {
		for distinct := 1; distinct <= size; distinct += 3 {
			claims := make([]Claim, size)
			for i := range claims {
				// ids 0..distinct-1 first (each appears), then repeats in a scrambled order
				k := i
				if i >= distinct {
					k = (i * i) % distinct
				}
				claims[i] = Claim{ID: ChildID(fmt.Sprintf("c%d", k)), Instance: uint64(i)}
			}
			want := lastOfFew(slices.Clone(claims))
			got := lastClaimPerChildWith(slices.Clone(claims), &last)
			if !slices.Equal(got, want) {
				t.Fatalf("%d claims of %d ids: got %+v, want %+v", size, distinct, got, want)
			}
			if len(got) != distinct {
				t.Fatalf("%d claims of %d ids: kept %d", size, distinct, len(got))
			}
			if len(last) != 0 {
				t.Fatalf("the reused map holds %d ids after the call", len(last))
			}
		}
	}
	if last == nil {
		t.Fatal("no map kept for reuse after batches of more than smallClaimBatch claims")
	}
}
