package core

import (
	"fmt"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

// TestRingSearchIsSortSearch: the written-out binary search finds, for
// any hash, the point sort.Search finds (the first whose hash is at least
// it, wrapping to 0), on rings of 1 to 8 nodes, for hashes drawn at random
// and equal to a point's, one either side.
func TestRingSearchIsSortSearch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newRing(rapid.IntRange(1, 16).Draw(t, "vnodes"))
		var nodes []NodeID
		for i := rapid.IntRange(1, 8).Draw(t, "nodes"); i > 0; i-- {
			nodes = append(nodes, NodeID(fmt.Sprint("n", i)))
		}
		r.set(nodes)
		r.build()
		p := r.points[rapid.IntRange(0, len(r.points)-1).Draw(t, "point")].hash
		for _, h := range []uint64{rapid.Uint64().Draw(t, "hash"), p, p - 1, p + 1, 0, ^uint64(0)} {
			want := sort.Search(len(r.points), func(i int) bool { return r.points[i].hash >= h }) % len(r.points)
			if got := r.search(h); got != want {
				t.Fatalf("search(%#x) = %d, sort.Search gives %d", h, got, want)
			}
		}
	})
}
