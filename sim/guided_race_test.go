package sim

import (
	"testing"

	"github.com/phub/phub/checks"
)

// TestGuidedRacesAllowAStopBetween: two acknowledged, overlapping starts
// of one child with different mappings are a race only when no stop of the
// child can be ordered between them. The first case is messages seed 3248
// of the long strict sweep: start [n3] acknowledged, the child terminated,
// then the start [n2], issued with the first but queued at its owner until
// after the terminate, acknowledged at a later epoch (the registry history
// is linearizable; the check called it a race).
func TestGuidedRacesAllowAStopBetween(t *testing.T) {
	a := guidedOK{child: "c1", mapping: "n3", call: 100, ret: 150, req: 13}
	b := guidedOK{child: "c1", mapping: "n2", call: 100, ret: 400, req: 14}
	stop := func(child string, call, ret int64, out checks.Outcome) checks.Op {
		return checks.Op{Child: child, Kind: checks.OpStop, Call: call, Return: ret, Outcome: out}
	}
	for _, tc := range []struct {
		name  string
		oks   []guidedOK
		ops   []checks.Op
		races int
	}{
		{"terminated between them (seed 3248)", []guidedOK{a, b}, []checks.Op{stop("c1", 200, 230, checks.OutcomeOK)}, 0},
		{"no stop at all", []guidedOK{a, b}, nil, 1},
		{"the stop found nothing", []guidedOK{a, b}, []checks.Op{stop("c1", 200, 230, checks.OutcomeNotFound)}, 1},
		{"the stop was refused", []guidedOK{a, b}, []checks.Op{stop("c1", 200, 230, checks.OutcomeFailed)}, 1},
		{"another child was stopped", []guidedOK{a, b}, []checks.Op{stop("c2", 200, 230, checks.OutcomeOK)}, 1},
		{"the stop came after both returned", []guidedOK{a, b}, []checks.Op{stop("c1", 500, 530, checks.OutcomeOK)}, 1},
		{"the stop returned before both were called", []guidedOK{a, b}, []checks.Op{stop("c1", 10, 50, checks.OutcomeOK)}, 1},
		{"a stop of unknown outcome called between them", []guidedOK{a, b}, []checks.Op{stop("c1", 200, 0, checks.OutcomeUnknown)}, 0},
		{"a stop of unknown outcome called after both", []guidedOK{a, b}, []checks.Op{stop("c1", 450, 0, checks.OutcomeUnknown)}, 1},
		{"the same mapping twice", []guidedOK{a, {child: "c1", mapping: "n3", call: 100, ret: 400, req: 14}}, nil, 0},
		{"one after the other", []guidedOK{a, {child: "c1", mapping: "n2", call: 160, ret: 400, req: 14}}, nil, 0},
		{"a start ordered second in the list", []guidedOK{b, a}, nil, 1},
	} {
		if got := guidedRaces(tc.oks, tc.ops); len(got) != tc.races {
			t.Errorf("%s: %d races %v, want %d", tc.name, len(got), got, tc.races)
		}
	}
}
