package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// regInput is the porcupine input of one op: what was asked, of whom.
type regInput struct {
	Kind  OpKind
	Child string
	Node  string
}

// regOutput is the porcupine output of one op. Unknown ops carry
// Outcome == OutcomeUnknown and are never output-checked.
type regOutput struct {
	Outcome Outcome
	Epoch   uint64
	Nodes   string // comma-joined, for descriptions only
}

// regState is the sequential state of one child in the registry model.
//
// MinEpoch is the lowest epoch a lookup may still report while the child is
// present: the epoch of the start that made it present, raised by every
// lookup that saw a higher one (epochs of a present child only grow:
// migrations and restarts assign new, higher epochs). 0 means "no bound",
// which is what an unknown-outcome start leaves behind. The bound is reset
// when the child becomes absent, so the model stays sound even if epochs
// restart after a stop (a garbage-collected tombstone).
type regState struct {
	Present  bool
	MinEpoch uint64
}

// stepRegistry is the model's pure step function; see RegistryModel.
func stepRegistry(s regState, in regInput, out regOutput) (bool, regState) {
	unknown := out.Outcome == OutcomeUnknown
	switch in.Kind {
	case OpStart:
		switch {
		case unknown:
			if !s.Present {
				return true, regState{Present: true}
			}
			return true, s
		case out.Outcome == OutcomeOK:
			return !s.Present, regState{Present: true, MinEpoch: out.Epoch}
		case out.Outcome == OutcomeAlreadyStarted:
			return s.Present, s
		case out.Outcome == OutcomeFailed:
			return true, s
		}
	case OpStop:
		switch {
		case unknown:
			return true, regState{}
		case out.Outcome == OutcomeOK:
			return s.Present, regState{}
		case out.Outcome == OutcomeNotFound:
			return !s.Present, s
		case out.Outcome == OutcomeFailed:
			return true, s
		}
	case OpLookup:
		switch {
		case unknown, out.Outcome == OutcomeFailed:
			return true, s
		case out.Outcome == OutcomeOK:
			if !s.Present || (out.Epoch != 0 && out.Epoch < s.MinEpoch) {
				return false, s
			}
			return true, regState{Present: true, MinEpoch: max(s.MinEpoch, out.Epoch)}
		case out.Outcome == OutcomeNotFound:
			return !s.Present, s
		}
	}
	return false, s // malformed op: never legal
}

// RegistryModel returns the porcupine model of the owner-routed registry,
// partitioned per child id (partitions in sorted child order). Per child the
// state is absent or present (with a lower bound on the epoch a lookup may
// report). The sequential specification:
//
//   - start: ok iff absent (→ present, epoch bound = reported epoch);
//     already-started iff present; failed: no effect, legal in any state;
//   - stop: ok iff present (→ absent); not-found iff absent; failed: no
//     effect;
//   - lookup: ok (found) iff present and its epoch (if reported) is at least
//     the bound (→ bound raised to it); not-found iff absent;
//   - unknown outcome: the effect is applied (start: absent → present with no
//     epoch bound; stop: → absent) and the output is not checked.
//
// Its inputs and outputs are the unexported values CheckLinearizable builds
// from a History; the model is exported so callers can render a LinResult's
// Info with porcupine directly.
func RegistryModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByChild,
		Init:      func() any { return regState{} },
		Step: func(s, in, out any) (bool, any) {
			return stepRegistry(s.(regState), in.(regInput), out.(regOutput))
		},
		Hash: func(s any) uint64 {
			st := s.(regState)
			h := st.MinEpoch << 1
			if st.Present {
				h |= 1
			}
			return h
		},
		DescribeOperation: func(in, out any) string {
			i, o := in.(regInput), out.(regOutput)
			var b strings.Builder
			fmt.Fprintf(&b, "%s(%s)@%s -> %s", i.Kind, i.Child, i.Node, o.Outcome)
			if o.Nodes != "" {
				fmt.Fprintf(&b, " [%s]", o.Nodes)
			}
			if o.Epoch != 0 {
				fmt.Fprintf(&b, " e%d", o.Epoch)
			}
			return b.String()
		},
		DescribeState: func(s any) string {
			st := s.(regState)
			switch {
			case !st.Present:
				return "absent"
			case st.MinEpoch == 0:
				return "present"
			}
			return fmt.Sprintf("present (epoch ≥ %d)", st.MinEpoch)
		},
		DescribeOperationMetadata: func(m any) string {
			if op, ok := m.(Op); ok {
				return op.String()
			}
			return ""
		},
	}
}

// partitionByChild groups operations by child id, in sorted child order.
func partitionByChild(ops []porcupine.Operation) [][]porcupine.Operation {
	byChild := make(map[string][]porcupine.Operation)
	for _, op := range ops {
		c := op.Input.(regInput).Child
		byChild[c] = append(byChild[c], op)
	}
	keys := make([]string, 0, len(byChild))
	for k := range byChild {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		out[i] = byChild[k]
	}
	return out
}
