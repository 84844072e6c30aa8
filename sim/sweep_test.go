package sim

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/checks"
)

// seedsPerClass is the default sweep size; PHUB_SEEDS overrides it.
func seedsPerClass(t *testing.T, def int) int {
	if v := os.Getenv("PHUB_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PHUB_SEEDS=%q: want a positive integer", v)
		}
		return n
	}
	if testing.Short() {
		return max(def/10, 3)
	}
	return def
}

// artifactsFor replays a failing seed into a temp dir and names the
// trace, timeline and (for linearizability failures) history files.
func artifactsFor(class Class, seed uint64) string {
	dir, err := os.MkdirTemp("", fmt.Sprintf("phub-%s-%d-", class, seed))
	if err != nil {
		return ""
	}
	rep, err := Replay(class, seed, dir)
	if err != nil {
		return "  artifacts: " + err.Error()
	}
	return "  artifacts: " + strings.Join(rep.Paths, " ")
}

// runSeedReportingPanics runs a seed and turns a panic into a test
// failure that names the seed and the replay command.
func runSeedReportingPanics(t *testing.T, class Class, seed uint64) (res *Result) {
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("class=%s seed=%d panicked: %v\n  replay: go run ./cmd/phubd replay --class %s --seed %d", class, seed, p, class, seed)
		}
	}()
	return RunSeed(class, seed, Options{})
}

// TestSweep runs every fault class over a range of seeds and asserts the
// guarantee table (Setup.Guarantee). It also asserts coverage: each
// class's faults really fired ("sometimes" assertions), so a class cannot
// pass vacuously.
//
// Coverage points (coverage.go) are counted over the whole sweep and
// printed; a sweep of every class with at least coverageMinSeeds seeds
// per class (the default sweep) fails if a declared point was never
// reached.
func TestSweep(t *testing.T) {
	n := seedsPerClass(t, 100)
	coverage := map[string]int{}
	ran := 0
	for _, class := range Classes {
		t.Run(string(class), func(t *testing.T) {
			ran++
			fails, undecided := 0, 0
			var worst, slowest time.Duration
			hits := map[string]int{}
			windows, unknownOps, ops, lin := 0, 0, 0, 0
			var linSteps int64 // the most porcupine steps one child's check took
			for seed := uint64(1); seed <= uint64(n); seed++ {
				res := runSeedReportingPanics(t, class, seed)
				if res.Failed() {
					fails++
					if fails <= 3 {
						t.Errorf("FAIL %s%s", res.Summary(), artifactsFor(class, seed))
					}
				} else if res.Undecided() {
					undecided++
					t.Logf("UNDECIDED %s", res.Summary())
				}
				worst = max(worst, res.Overlap)
				slowest = max(slowest, res.ConvergedAfter)
				for k, v := range res.Hits {
					hits[k] += v
				}
				for k, v := range res.Coverage {
					coverage[k] += v
				}
				windows += res.MinorityWindows
				ops += res.Ops
				if res.LinChecked {
					lin++
					unknownOps += res.Lin.Unknown
					linSteps = max(linSteps, res.Lin.Steps)
				}
			}
			t.Logf("%s: %d seeds, %d ops, %d linearizability checks (%d unknown-outcome ops, at most %d porcupine steps on one child, budget %d), max duplicate overlap %v, slowest convergence after heal %v, buggify hits %v, minority windows %d",
				class, n, ops, lin, unknownOps, linSteps, checks.HarnessLinSteps, worst, slowest, hits, windows)
			if fails > 0 {
				t.Errorf("%s: %d of %d seeds failed", class, fails, n)
			}
			if n >= 20 {
				switch class {
				case ClassCrash:
					if hits[SiteCrashAfterAck] == 0 || hits[SiteProbeAfterRestart] == 0 {
						t.Errorf("buggify sites never fired: %v", hits)
					}
				case ClassPartition:
					if windows == 0 {
						t.Error("no minority window was checked: the quorum check is vacuous")
					}
				}
				if ops == 0 {
					t.Error("no client operation was recorded")
				}
			}
			if undecided > 0 && !t.Failed() {
				// Neither a pass nor a failure: every other check passed.
				t.Skipf("%s: %d of %d seeds undecided (linearizability out of its step budget), no failure", class, undecided, n)
			}
		})
	}
	report, missed := CoverageReport(coverage)
	t.Logf("coverage points over %d classes × %d seeds:\n%s", ran, n, report)
	if ran == len(Classes) && n >= coverageMinSeeds && len(missed) > 0 {
		t.Errorf("coverage points never reached in the sweep: %v (a fault class or check is vacuous)", missed)
	}
}

// coverageMinSeeds is the sweep size per class from which every coverage
// point must be reached (the default sweep; smaller sweeps only report).
const coverageMinSeeds = 100
