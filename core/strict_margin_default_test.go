package core

import (
	"slices"
	"testing"
	"time"
)

// TestStrictDefaultMarginIsTwoTicks: with LeaseMargin left at 0 a voter
// keeps a holder's grant L·(1+ρ) plus the documented default margin of 2
// ticks — the time a driver needs to kill a fenced child — so another
// node asking for the child 1 ns before that is refused, and granted at
// it.
func TestStrictDefaultMarginIsTwoTicks(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	h := w.startOne("a", "x")
	v, other := w.othersThan(h)
	voter := w.nodes[v]
	cfg := voter.cfg
	if cfg.Partition.LeaseMargin != 0 {
		t.Fatalf("the world sets LeaseMargin %v; this test needs the default", cfg.Partition.LeaseMargin)
	}
	rec := voter.strict.recs[holderKey{h, 1}]
	if rec == nil {
		t.Fatalf("voter %s holds no grant of %s", v, h)
	}
	hold := time.Duration(float64(cfg.strictLease())*(1+cfg.strictDrift())) + 2*cfg.Timing.TickInterval
	end := rec.at.Add(hold)
	ask := func(at Mono, seq uint64) (flagged, inactive []ChildID) {
		voter.SetMono(at)
		flagged, inactive, err := voter.voterGrant(holderKey{other, 1}, seq, []ChildID{"x"})
		if err != "" {
			t.Fatalf("voter %s refused %s's round at %d: %s", v, other, at, err)
		}
		return flagged, inactive
	}
	if flagged, _ := ask(end-1, 1<<40); !slices.Equal(flagged, []ChildID{"x"}) {
		t.Fatalf("1 ns before L·(1+ρ) + 2 ticks, voter %s flagged %v to %s, want x (still %s's)", v, flagged, other, h)
	}
	if flagged, inactive := ask(end, 1<<40+1); len(flagged)+len(inactive) != 0 {
		t.Fatalf("at L·(1+ρ) + 2 ticks, voter %s flagged %v and did not grant %v to %s, want x granted", v, flagged, inactive, other)
	}
}
