package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/phub/phub/checks"
)

// TestDurableClassCatchesLostState proves the durable class's checks can
// fail: with disks that acknowledge syncs and keep nothing, full-cluster
// crashes lose acknowledged children, and the sweep's checks say so
// within a few seeds.
func TestDurableClassCatchesLostState(t *testing.T) {
	caught := map[string]int{}
	for seed := uint64(1); seed <= 30 && len(caught) == 0; seed++ {
		res := RunSeed(ClassDurable, seed, Options{DiskLies: true})
		for _, v := range res.Violations {
			caught[v.Check]++
		}
		if res.LinChecked && res.Lin.Status != checks.LinOk {
			caught["linearizability"]++
		}
	}
	if caught[checks.CheckNoLostChildren] == 0 && caught["linearizability"] == 0 {
		t.Fatalf("lying disks lost no acknowledged child in 30 seeds of the durable class: the class is vacuous (caught %v)", caught)
	}
	t.Logf("caught with lying disks: %v", caught)
}

// TestDurableSeedsPass runs a few seeds of the durable class with their
// storage faults and names each failure with its replay command (the
// full sweep is TestSweep).
func TestDurableSeedsPass(t *testing.T) {
	n := seedsPerClass(t, 20)
	covered := map[string]int{}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		res := runSeedReportingPanics(t, ClassDurable, seed)
		if res.Failed() {
			t.Errorf("FAIL %s", res.Summary())
		}
		for k, v := range res.Coverage {
			covered[k] += v
		}
	}
	if n >= 20 {
		for _, p := range []string{CoverFullClusterCrash, CoverUnsyncedLost, CoverDiskFaultDetected, CoverDiskFull} {
			if covered[p] == 0 {
				t.Errorf("%s never reached in %d durable seeds", p, n)
			}
		}
	}
	var b strings.Builder
	for _, p := range []string{CoverFullClusterCrash, CoverUnsyncedLost, CoverDiskFaultDetected, CoverDiskFull} {
		fmt.Fprintf(&b, "%s=%d ", p, covered[p])
	}
	t.Logf("durable coverage over %d seeds: %s", n, b.String())
}

// TestDurableSeedReplaysExactly: a durable seed with storage faults (the
// disks' torn tails are drawn from the run's PRNG) gives the same trace
// twice, byte for byte.
func TestDurableSeedReplaysExactly(t *testing.T) {
	for _, seed := range []uint64{3, 4} {
		a, b := RunSeed(ClassDurable, seed, Options{}), RunSeed(ClassDurable, seed, Options{})
		if !a.Setup.DiskFaults && seed == 4 {
			t.Logf("seed %d draws no disk faults", seed)
		}
		if a.Hash != b.Hash || a.Events != b.Events {
			t.Fatalf("durable seed %d: trace hashes differ: %x vs %x\n  replay: go run ./cmd/phubd replay --class durable --seed %d", seed, a.Hash, b.Hash, seed)
		}
	}
}
