package checks

import "math"

// Expectation is what the client history alone forces on one child's fate,
// whatever the order in which concurrent and unknown-outcome requests took
// effect. It is derived soundly: an unknown-outcome request may have taken
// effect at any instant after its call, so it can only remove obligations.
type Expectation struct {
	// MustRun: some acknowledged start S has no stop (ok or unknown) that
	// could have taken effect after it — every such stop returned before S
	// was called. StartedAt is the return instant of the latest such S and
	// StartEpoch its reported epoch.
	MustRun    bool
	StartedAt  int64
	StartEpoch uint64
	// MustBeStopped: some acknowledged stop X has no start (ok or unknown)
	// that could have taken effect after it. StoppedAt is the return instant
	// of the latest such X.
	MustBeStopped bool
	StoppedAt     int64
}

// Expect derives the Expectation of every child in h. Failed, not-found and
// already-started outcomes had no effect and are ignored.
func Expect(h History) map[string]Expectation {
	out := make(map[string]Expectation)
	for _, child := range h.Children() {
		ops := h.ForChild(child).Ops
		var e Expectation
		for _, s := range ops {
			if s.Kind != OpStart || s.Outcome != OutcomeOK {
				continue
			}
			if !anyEffectAfter(ops, OpStop, s.Call) && (!e.MustRun || s.Return > e.StartedAt) {
				e.MustRun, e.StartedAt, e.StartEpoch = true, s.Return, s.Epoch
			}
		}
		for _, x := range ops {
			if x.Kind != OpStop || x.Outcome != OutcomeOK {
				continue
			}
			if !anyEffectAfter(ops, OpStart, x.Call) && (!e.MustBeStopped || x.Return > e.StoppedAt) {
				e.MustBeStopped, e.StoppedAt = true, x.Return
			}
		}
		out[child] = e
	}
	return out
}

// anyEffectAfter reports whether an op of kind whose effect is possible (ok
// or unknown outcome) could have taken effect at or after instant t, that is
// returned (or never returned) at or after t.
func anyEffectAfter(ops []Op, kind OpKind, t int64) bool {
	for _, op := range ops {
		if op.Kind == kind && effectReturn(op) >= t {
			return true
		}
	}
	return false
}

// effectReturn is the latest instant op could have taken effect: its return
// for an ok outcome, +∞ for an unknown one, -∞ for outcomes without effect.
func effectReturn(op Op) int64 {
	switch op.Outcome {
	case OutcomeOK:
		return op.Return
	case OutcomeUnknown:
		return math.MaxInt64
	}
	return math.MinInt64
}
