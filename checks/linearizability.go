package checks

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// LinStatus is the verdict of CheckLinearizable.
type LinStatus uint8

const (
	// LinOk: the history is linearizable with respect to RegistryModel.
	LinOk LinStatus = iota + 1
	// LinIllegal: no linearization exists; Child names the first failing
	// child (in sorted order). This verdict is definitive.
	LinIllegal
	// LinInconclusive: the checker hit its timeout before deciding. Treat
	// it as a failure to check ("shrink the workload"), never as a pass.
	LinInconclusive
	// LinMalformed: the history has an op History.Validate rejects; Err
	// says which. Nothing was checked.
	LinMalformed
)

// String returns "ok", "illegal", "inconclusive" or "malformed".
func (s LinStatus) String() string {
	switch s {
	case LinOk:
		return "ok"
	case LinIllegal:
		return "illegal"
	case LinInconclusive:
		return "inconclusive"
	case LinMalformed:
		return "malformed"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Annotation marks a span of virtual time in the visualization, e.g. a fault
// ("partition {n1}|{n2,n3}") or a server-side event. Tag names the lane it
// is drawn in (e.g. "nemesis" or a node id); End < Start means a point.
type Annotation struct {
	Tag         string
	Start, End  int64
	Description string
	Details     string
}

// LinResult is the outcome of CheckLinearizable.
type LinResult struct {
	Status LinStatus
	// Child is the first failing child (sorted order) when Status is
	// LinIllegal; FailingChildren lists every child found failing.
	Child           string
	FailingChildren []string
	// Err explains LinMalformed.
	Err error
	// Checked counts ops handed to porcupine; Unchecked counts ops that
	// constrain nothing and were left out (failed ops, lookups with unknown
	// or failed outcome). Unknown counts checked ops with unknown outcome.
	Checked, Unchecked, Unknown int
	// Elapsed is the wall-clock time the check took.
	Elapsed time.Duration
	// Steps is the most model steps porcupine took on one child (the
	// measure of LinBudget.Steps; it depends on the history alone, unless
	// a timeout cut the search short).
	Steps int64
	// Info is porcupine's linearization info, for WriteVisualization.
	Info porcupine.LinearizationInfo

	visualizable bool
}

// ErrNotVisualizable is returned by WriteVisualization when the check did
// not finish (timeout or malformed history): porcupine's partial info after
// a timeout is not safe to render.
var ErrNotVisualizable = errors.New("checks: no visualization for an unfinished check")

// Annotate adds annotations (faults, server events) to the visualization.
func (r *LinResult) Annotate(anns ...Annotation) {
	pa := make([]porcupine.Annotation, len(anns))
	for i, a := range anns {
		pa[i] = porcupine.Annotation{
			Tag: a.Tag, Start: a.Start, End: a.End,
			Description: a.Description, Details: a.Details,
			BackgroundColor: "#f6d7a7",
		}
	}
	r.Info.AddAnnotations(pa)
}

// WriteVisualization writes porcupine's self-contained HTML visualization of
// the checked history (one lane per client session, grouped by child; the
// longest partial linearizations; illegal points in red; annotations) to
// path. It returns ErrNotVisualizable when the check timed out or the
// history was malformed, and never renders partial timeout data.
func (r LinResult) WriteVisualization(path string) error {
	if !r.visualizable {
		return ErrNotVisualizable
	}
	return porcupine.VisualizePath(RegistryModel(), r.Info, path)
}

// String summarizes the result on one line.
func (r LinResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "linearizability %s: %d ops checked (%d unknown), %d unchecked, %v, %d steps",
		r.Status, r.Checked, r.Unknown, r.Unchecked, r.Elapsed.Round(time.Microsecond), r.Steps)
	if r.Status == LinIllegal {
		fmt.Fprintf(&b, "; first failing child %q (%d failing)", r.Child, len(r.FailingChildren))
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "; %v", r.Err)
	}
	return b.String()
}

// CheckLinearizable checks h against RegistryModel with porcupine, one
// partition per child, within timeout (wall clock; 0 = unlimited, which
// callers should avoid). It is CheckLinearizableWithin with only a
// timeout: its verdict on a history too hard to decide in time depends on
// the machine's speed and load (LinInconclusive on a slow machine,
// possibly LinOk or LinIllegal on a fast one). Tests that need a verdict
// independent of the machine use a step budget (LinBudget.Steps).
//
// Encoding, following porcupine's recipe for unknown outcomes: an op with
// OutcomeUnknown returns at "+∞" (one past the largest instant in h), its
// effect is applied and its output unchecked; unknown and failed lookups and
// failed starts/stops constrain nothing and are left out (shown as
// "unchecked" annotations). Ops are drawn in lanes per client session, and a
// client gets a fresh lane whenever its previous op is still open, e.g.
// after an unknown outcome.
//
// The result is LinOk, LinIllegal (with the first failing child), or
// LinInconclusive on timeout, or LinMalformed if h.Validate fails.
func CheckLinearizable(h History, timeout time.Duration) LinResult {
	return CheckLinearizableWithin(h, LinBudget{Timeout: timeout})
}

// LinBudget bounds a linearizability check. A zero field sets no bound.
type LinBudget struct {
	// Steps bounds the model steps porcupine may take on one child's
	// partition. A child whose search needs more is left undecided: the
	// check is LinInconclusive unless another child is illegal, which
	// stays LinIllegal (a verdict on one child never depends on another's
	// partition). porcupine searches each partition deterministically, so
	// the same history under the same step budget gets the same verdict
	// on any machine under any load.
	Steps int64
	// Timeout bounds the whole check in wall-clock time (see
	// CheckLinearizable).
	Timeout time.Duration
}

// HarnessLinSteps is the step budget per child with which every harness
// judges a history (the simulator's sweep and rapid cases, scenario
// files, e2e/netfault's real histories), so that no verdict depends on
// the machine's speed or load: the same history gets the same verdict
// anywhere. It is sized from the most steps one child's check took: 237
// on the passing real histories of e2e/netfault (2,496–5,296 ops, 24
// children), 5,066 on a broken node's, the sweep's maxima as TestSweep -v
// logs them far below; 100,000 leaves a margin of about 20 over the
// worst. A child that needs more is undecided (LinInconclusive): the
// harnesses report that as neither a pass nor a failure.
const HarnessLinSteps int64 = 100_000

// CheckLinearizableHarness is CheckLinearizableWithin under the harnesses'
// budget: HarnessLinSteps per child and no wall-clock bound.
func CheckLinearizableHarness(h History) LinResult {
	return CheckLinearizableWithin(h, LinBudget{Steps: HarnessLinSteps})
}

// CheckLinearizableWithin is CheckLinearizable under budget b: a step
// budget per child, a wall-clock timeout, or both.
func CheckLinearizableWithin(h History, b LinBudget) LinResult {
	start := time.Now()
	if err := h.Validate(); err != nil {
		return LinResult{Status: LinMalformed, Err: err}
	}
	ops, unchecked, res := buildOperations(h)
	model := RegistryModel()
	meter := newStepMeter(ops, b.Steps)
	verdict, info := porcupine.CheckOperationsVerbose(meter.wrap(model), ops, b.Timeout)
	res.Info = info
	res.Info.AddAnnotations(unchecked)
	res.Elapsed = time.Since(start)
	overran := b.Timeout > 0 && res.Elapsed >= b.Timeout
	exhausted := meter.exhausted()
	res.Steps = meter.most()
	switch verdict {
	case porcupine.Ok:
		res.Status = LinOk
		res.visualizable = !overran
	case porcupine.Illegal:
		// A partition that ran out of steps fails porcupine's search too
		// (every step past the budget is refused): it is undecided, not
		// illegal.
		res.FailingChildren = slices.DeleteFunc(failingChildren(ops, info), func(c string) bool {
			return slices.Contains(exhausted, c)
		})
		if overran && len(res.FailingChildren) > 0 {
			// Partitions cut off by the timeout look incomplete too: keep
			// only the children that fail on their own.
			res.FailingChildren = confirmFailing(model, ops, res.FailingChildren, b.Timeout)
		}
		res.Status = LinIllegal
		if len(res.FailingChildren) == 0 {
			res.Status = LinInconclusive
		} else {
			res.Child = res.FailingChildren[0]
		}
		res.visualizable = !overran && len(exhausted) == 0
	default:
		res.Status = LinInconclusive
	}
	res.Elapsed = time.Since(start)
	return res
}

// buildOperations converts h into porcupine operations (with +∞ returns and
// session lanes) and annotations for the ops left out.
func buildOperations(h History) ([]porcupine.Operation, []porcupine.Annotation, LinResult) {
	var res LinResult
	var infinity int64 = math.MinInt64
	for _, op := range h.Ops {
		infinity = max(infinity, op.Call)
		if op.Outcome != OutcomeUnknown {
			infinity = max(infinity, op.Return)
		}
	}
	infinity++

	order := make([]int, len(h.Ops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := h.Ops[a].Call, h.Ops[b].Call
		switch {
		case ca < cb:
			return -1
		case ca > cb:
			return 1
		}
		return 0
	})

	type lane struct {
		id        int
		busyUntil int64
	}
	lanes := make(map[int][]lane)
	nextLane := 0
	var ops []porcupine.Operation
	var unchecked []porcupine.Annotation
	for _, i := range order {
		op := h.Ops[i]
		if op.Outcome == OutcomeFailed || (op.Kind == OpLookup && op.Outcome == OutcomeUnknown) {
			res.Unchecked++
			end := op.Return
			if op.Outcome == OutcomeUnknown {
				end = op.Call
			}
			unchecked = append(unchecked, porcupine.Annotation{
				Tag: "unchecked", Start: op.Call, End: end,
				Description: fmt.Sprintf("%s(%s) %s", op.Kind, op.Child, op.Outcome),
				Details:     op.String(),
			})
			continue
		}
		ret := op.Return
		if op.Outcome == OutcomeUnknown {
			ret = infinity
			res.Unknown++
		}
		ls := lanes[op.Client]
		id := -1
		for j := range ls {
			if ls[j].busyUntil < op.Call {
				id = ls[j].id
				ls[j].busyUntil = ret
				break
			}
		}
		if id < 0 {
			id = nextLane
			nextLane++
			lanes[op.Client] = append(ls, lane{id: id, busyUntil: ret})
		}
		ops = append(ops, porcupine.Operation{
			ClientId: id,
			Input:    regInput{Kind: op.Kind, Child: op.Child, Node: op.Node},
			Call:     op.Call,
			Output:   regOutput{Outcome: op.Outcome, Epoch: op.Epoch, Nodes: strings.Join(op.Nodes, ",")},
			Return:   ret,
			Metadata: op,
		})
	}
	res.Checked = len(ops)
	return ops, unchecked, res
}

// failingChildren returns, in sorted order, the children whose longest
// partial linearization does not cover all of their ops.
func failingChildren(ops []porcupine.Operation, info porcupine.LinearizationInfo) []string {
	parts := partitionByChild(ops)
	partials := info.PartialLinearizations()
	var out []string
	for i, p := range parts {
		longest := 0
		if i < len(partials) {
			for _, l := range partials[i] {
				longest = max(longest, len(l))
			}
		}
		if longest < len(p) {
			out = append(out, p[0].Input.(regInput).Child)
		}
	}
	return out
}

// confirmFailing re-checks each candidate child alone and keeps those that
// are definitely illegal, stopping at the first confirmed one.
func confirmFailing(model porcupine.Model, ops []porcupine.Operation, candidates []string, timeout time.Duration) []string {
	for _, c := range candidates {
		var sub []porcupine.Operation
		for _, op := range ops {
			if op.Input.(regInput).Child == c {
				sub = append(sub, op)
			}
		}
		if porcupine.CheckOperationsTimeout(model, sub, timeout) == porcupine.Illegal {
			return []string{c}
		}
	}
	return nil
}
