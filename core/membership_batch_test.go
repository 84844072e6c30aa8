package core

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// formingMovesPerMember forms a SWIM cluster of size nodes, booted in
// the reverse order of their names (each joiner's name sorts before every
// name its seeds know, as any name may), and returns the names the
// nodes' memberships moved (memberDelta.moved: names written to make room
// in, or to fill, the sorted names and the views) per member a node
// learned (size·(size−1)).
func formingMovesPerMember(t *testing.T, size int) float64 {
	e := newTestEnv()
	e.tune = func(c *Config) { c.Membership.Detector = Swim }
	for i := size; i >= 1; i-- {
		if err := e.addNode(NodeID(fmt.Sprintf("n%03d", i)), 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.run(10*time.Second, true, e.formed); err != nil {
		t.Fatalf("%d swim nodes did not form: %v", size, err)
	}
	moved := 0
	for _, n := range e.nodes {
		moved += n.members.delta.moved
	}
	return float64(moved) / float64(size*(size-1))
}

// What a node pays per member it learns while a SWIM cluster forms does
// not grow with the cluster: a new member's name joins the sorted names
// at the next walk of the table, in one merge with the others added
// since (membership_batch.go). An insert per learned member moved the
// names after it, so the names moved per member grew with N: 4.7, 8.6
// and 16.0 at 16, 32 and 64 nodes (×1.83, ×1.86 per doubling); merged,
// 2.8, 3.4 and 4.2 (×1.21, ×1.24: the walks grow as log N). Within ×1.5
// per doubling.
func TestFormingMovesPerLearnedMemberStayFlat(t *testing.T) {
	sizes := []int{16, 32, 64}
	per := make([]float64, len(sizes))
	for i, size := range sizes {
		per[i] = formingMovesPerMember(t, size)
	}
	for i := 1; i < len(sizes); i++ {
		if r := per[i] / per[i-1]; r > 1.5 {
			t.Errorf("forming moved %.1f names per learned member at %d nodes, %.1f at %d: ×%.2f, want at most ×1.5 per doubling", per[i-1], sizes[i-1], per[i], sizes[i], r)
		}
	}
	t.Logf("names moved per learned member while forming: %.1f at 16 nodes, %.1f at 32, %.1f at 64", per[0], per[1], per[2])
}

// mergeList leaves the table exactly as the same records merged one at a
// time do, with the same transitions in the same order, whatever the
// list's order, duplicates or statuses.
func TestMergeListMatchesMergeOneByOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := Instant(1000)
		one := newMembership(Member{Name: "n0", Incarnation: 1}, now)
		batch := newMembership(Member{Name: "n0", Incarnation: 1}, now)
		one.probed = rapid.Bool().Draw(t, "probed")
		batch.probed = one.probed
		record := func() Member {
			return Member{Name: NodeID(fmt.Sprintf("n%d", rapid.IntRange(0, 20).Draw(t, "name"))),
				Incarnation: uint64(rapid.IntRange(1, 3).Draw(t, "inc")),
				Status:      rapid.SampledFrom([]MemberStatus{StatusAlive, StatusDown, StatusLeft}).Draw(t, "status")}
		}
		for round := rapid.IntRange(1, 5).Draw(t, "rounds"); round > 0; round-- {
			list := make([]Member, rapid.IntRange(0, 30).Draw(t, "len"))
			for i := range list {
				list[i] = record()
			}
			if rapid.Bool().Draw(t, "sorted") {
				slices.SortFunc(list, func(a, b Member) int { return strings.Compare(string(a.Name), string(b.Name)) })
			}
			var want []memberTransition
			for _, g := range list {
				if tr, ok := one.merge(g, now); ok {
					want = append(want, tr)
				}
			}
			ts := batch.mergeList(list, now)
			got := slices.Clone(ts)
			batch.recycle(ts)
			if !slices.Equal(got, want) {
				t.Fatalf("mergeList transitions %v, one by one %v", got, want)
			}
			if !slices.Equal(batch.names(), one.names()) || !slices.Equal(batch.delta.pending, one.delta.pending) {
				t.Fatalf("names %v pending %v after mergeList, %v and %v one by one", batch.names(), batch.delta.pending, one.names(), one.delta.pending)
			}
			for i, s := range batch.table() {
				if s != batch.members[batch.sorted[i]] || s.Member != one.members[s.Name].Member {
					t.Fatalf("states[%d] (%s) is %+v, one by one %+v", i, s.Name, s.Member, one.members[s.Name].Member)
				}
			}
			if one.recompute() != batch.recompute() || !slices.Equal(one.view, batch.view) {
				t.Fatalf("view %v after mergeList, %v one by one", batch.view, one.view)
			}
			checkMembershipDerivations(t, batch, now, DefaultConfig("n0").Timing)
		}
	})
}
