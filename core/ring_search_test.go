package core

import (
	"fmt"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

// TestRingSearchIsSortSearch: the indexed search finds, for any hash,
// the point sort.Search finds (the first whose hash is at least it,
// wrapping to 0), on rings of 1 to 20 nodes of 1 to 4,096 virtual nodes
// (past the index's 2^16 ranges), after a full build and after a change
// of a few nodes (the incremental build), for hashes drawn at random,
// equal to a point's, one either side, and at both ends.
func TestRingSearchIsSortSearch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newRing(rapid.IntRange(1, 4096).Draw(t, "vnodes"))
		var nodes []NodeID
		for i := rapid.IntRange(1, 20).Draw(t, "nodes"); i > 0; i-- {
			nodes = append(nodes, NodeID(fmt.Sprint("n", i)))
		}
		r.set(nodes)
		checkSearch(t, r)
		// A few nodes leave and one joins: the incremental build.
		keep := rapid.IntRange(1, len(nodes)).Draw(t, "keep")
		r.set(append(nodes[:keep:keep], "joiner"))
		checkSearch(t, r)
	})
}

func checkSearch(t *rapid.T, r *ring) {
	r.build()
	p := r.points[rapid.IntRange(0, len(r.points)-1).Draw(t, "point")].hash
	for _, h := range []uint64{rapid.Uint64().Draw(t, "hash"), p, p - 1, p + 1, 0, ^uint64(0)} {
		want := sort.Search(len(r.points), func(i int) bool { return r.points[i].hash >= h }) % len(r.points)
		if got := r.search(h); got != want {
			t.Fatalf("search(%#x) = %d, sort.Search gives %d (%d points)", h, got, want, len(r.points))
		}
	}
}

// TestRingIndexSize: the index has the fewest ranges (a power of two)
// that are at least the points, at most 2^16 — 4 KiB for 5 nodes of 128
// virtual nodes (the README's figure) — and its size depends on the
// points only, never on children.
func TestRingIndexSize(t *testing.T) {
	for _, tc := range []struct{ nodes, vnodes, want int }{
		{5, 128, 1024},
		{1, 1, 2},
		{200, 128, 32768},
		{100, 4096, 1 << maxRingIndexBits},
	} {
		r := newRing(tc.vnodes)
		var nodes []NodeID
		for i := 0; i < tc.nodes; i++ {
			nodes = append(nodes, NodeID(fmt.Sprint("n", i)))
		}
		r.set(nodes)
		r.successors(nil, "child", 1)
		if len(r.index) != tc.want {
			t.Errorf("%d nodes of %d virtual nodes: %d ranges, want %d", tc.nodes, tc.vnodes, len(r.index), tc.want)
		}
	}
}
