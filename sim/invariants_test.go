package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/phub/phub/core"
)

// TestInvariantsCatchBrokenCore: the nodes' invariants, which every
// default run checks after each input, stop a run whose core corrupts
// its own state at (or within a few inputs of) the input that did it,
// even where the end-of-run checks see nothing: a registry digest that
// keeps collected tombstones leaves every registry's contents right.
func TestInvariantsCatchBrokenCore(t *testing.T) {
	if !checkInvariants {
		t.Skip("PHUB_SIM_INVARIANTS=0")
	}
	opts := Options{Configure: func(c *core.Config) { c.Broken.DigestIgnoresRemoval = true }}
	const seeds = 10
	for seed := uint64(1); seed <= seeds; seed++ {
		p := panicOf(func() { RunSeed(ClassNone, seed, opts) })
		if p == "" {
			continue // no tombstone was collected in this run
		}
		if !strings.Contains(p, "invariant broken: registry digest") {
			t.Fatalf("seed %d panicked, but not at the digest invariant: %s", seed, p)
		}
		t.Logf("caught at seed %d: %s", seed, p)
		// The same seed without the invariants runs to its end, and the
		// end-of-run checks pass: only the invariants see this bug.
		checkInvariants = false
		res := RunSeed(ClassNone, seed, opts)
		checkInvariants = true
		if res.Failed() {
			t.Fatalf("without invariants an end-of-run check caught seed %d too (update the README's claim):\n%s", seed, res.Summary())
		}
		return
	}
	t.Fatalf("no seed of %d caught the stale digest", seeds)
}

// panicOf runs f and returns what it panicked with, or "".
func panicOf(f func()) (p string) {
	defer func() {
		if r := recover(); r != nil {
			p = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
