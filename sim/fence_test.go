package sim

import (
	"os"
	"strconv"
	"testing"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// fenceOf is the token the runtime mints for an instance (phub's
// ChildEnv.Fence, the exec kind's PHUB_FENCE).
func fenceOf(in checks.Instance) core.Fence {
	return core.Fence{Epoch: in.Epoch, Incarnation: in.Incarnation, Instance: in.Instance, Node: core.NodeID(in.Node)}
}

// During split brain two nodes start the same child at the same epoch
// (each side takes it over from the node it lost), so an epoch alone
// cannot fence their writes. Their fencing tokens differ and are ordered,
// and no two instances of a run ever share a token.
func TestFenceTokensUniqueAcrossSplits(t *testing.T) {
	seeds := 40
	if v := os.Getenv("PHUB_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("PHUB_SEEDS=%q: want a positive integer", v)
		}
		seeds = n
	}
	sameEpochOverlaps := 0
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		res, s := RunSeedSim(ClassPartition, seed, Options{})
		if res.Failed() {
			t.Fatalf("seed %d failed its checks:\n%s", seed, res.Summary())
		}
		ins := s.Instances()
		seen := map[core.Fence]checks.Instance{}
		for _, in := range ins {
			f := fenceOf(in)
			if prev, dup := seen[f]; dup {
				t.Fatalf("seed %d: %s and %s share the fencing token %s\nreplay: go run ./cmd/phubd replay --class %s --seed %d",
					seed, prev, in, f, ClassPartition, seed)
			}
			seen[f] = in
		}
		for i, a := range ins {
			for _, b := range ins[i+1:] {
				if a.Child != b.Child || a.Epoch != b.Epoch || a.Node == b.Node || !overlap(a, b) {
					continue
				}
				sameEpochOverlaps++
				fa, fb := fenceOf(a), fenceOf(b)
				if fa.Compare(fb) == 0 || fa.Compare(fb) != -fb.Compare(fa) || (fa.String() < fb.String()) != (fa.Compare(fb) < 0) {
					t.Fatalf("seed %d: %s and %s: tokens %s and %s not distinct and ordered", seed, a, b, fa, fb)
				}
				if sameEpochOverlaps == 1 {
					t.Logf("seed %d: split brain at one epoch: %s (%s) and %s (%s)", seed, a, fa, b, fb)
				}
			}
		}
	}
	t.Logf("%d pairs of instances ran at once on two nodes with the same epoch over %d seeds", sameEpochOverlaps, seeds)
	if sameEpochOverlaps == 0 {
		t.Fatal("no split brain at one epoch was reached: the test proves nothing")
	}
}

// overlap reports whether two instances ran at the same time.
func overlap(a, b checks.Instance) bool {
	aEnd, bEnd := a.End, b.End
	if aEnd < 0 {
		aEnd = int64(^uint64(0) >> 1)
	}
	if bEnd < 0 {
		bEnd = int64(^uint64(0) >> 1)
	}
	return a.Start < bEnd && b.Start < aEnd
}
