package checks

import (
	"fmt"
	"math"
	"time"
)

// MinorityWindow is a span [Start, End) of virtual time during which Node was
// cut off in a minority (lost quorum). End < 0 means it still is.
type MinorityWindow struct {
	Node       string
	Start, End int64
}

// Quorum asserts the quorum behaviour of minority nodes. For each window w,
// let the enforced span be [w.Start+bound, w.End): within it
//
//   - no instance runs on w.Node (an instance running at any instant of the
//     span is a violation; one that stops exactly at w.Start+bound is not);
//   - no start or stop issued on w.Node (called within the span) is
//     acknowledged: its outcome must be failed (partitioned) or unknown, not
//     ok, already-started or not-found.
//
// bound is the detection bound the configuration promises.
func Quorum(windows []MinorityWindow, bound time.Duration, instances []Instance, h History) []Violation {
	var vs []Violation
	for _, w := range windows {
		from := w.Start + int64(bound)
		to := w.End
		if to < 0 {
			to = math.MaxInt64
		}
		if from >= to {
			continue
		}
		span := fmt.Sprintf("minority window [%d,%s) + bound %v", w.Start, endString(w.End), bound)
		for _, in := range instances {
			end := in.End
			if end < 0 {
				end = math.MaxInt64
			}
			if in.Node == w.Node && in.Start < to && from < end {
				vs = append(vs, Violation{Check: CheckQuorum, Child: in.Child, Node: w.Node,
					Detail: fmt.Sprintf("instance %s runs after %d, inside %s", in, from, span)})
			}
		}
		for _, op := range h.Ops {
			if op.Node != w.Node || (op.Kind != OpStart && op.Kind != OpStop) || op.Call < from || op.Call >= to {
				continue
			}
			if op.Outcome == OutcomeOK || op.Outcome == OutcomeAlreadyStarted || op.Outcome == OutcomeNotFound {
				vs = append(vs, Violation{Check: CheckQuorum, Child: op.Child, Node: w.Node,
					Detail: fmt.Sprintf("acknowledged %s inside %s", op, span)})
			}
		}
	}
	return SortViolations(vs)
}

// endString renders an interval end, "∞" when negative.
func endString(end int64) string {
	if end < 0 {
		return "∞"
	}
	return fmt.Sprint(end)
}

// WithoutUndetectedMinorityReads returns h without the owner lookups a
// minority node could still serve from its own registry before detecting
// the cut: lookups called on w.Node within [w.Start, w.Start+bound] of a
// window w (and before its end). A majority quorum does not make them
// linearizable — the cut-off node still believes it owns the child and
// has quorum until DownAfter passes — so the partition class checks
// linearizability of everything else (every start and stop, and every
// lookup outside those spans). A read barrier at the owner would remove
// this exception.
func WithoutUndetectedMinorityReads(h History, windows []MinorityWindow, bound time.Duration) History {
	out := History{}
	for _, op := range h.Ops {
		if op.Kind == OpLookup && inUndetectedWindow(op, windows, int64(bound)) {
			continue
		}
		out.Add(op)
	}
	return out
}

func inUndetectedWindow(op Op, windows []MinorityWindow, bound int64) bool {
	for _, w := range windows {
		if w.Node != op.Node || op.Call < w.Start || op.Call > w.Start+bound {
			continue
		}
		if w.End < 0 || op.Call <= w.End {
			return true
		}
	}
	return false
}
