package checks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const checkTimeout = 10 * time.Second

// op builds a completed op on node n1.
func op(client int, kind OpKind, child string, call, ret int64, out Outcome, epoch uint64) Op {
	o := Op{Client: client, Node: "n1", Child: child, Kind: kind, Call: call, Return: ret, Outcome: out, Epoch: epoch}
	if out == OutcomeOK && kind != OpStop {
		o.Nodes = []string{"n1"}
	}
	return o
}

// unknown builds an op whose outcome the client never learned.
func unknown(client int, kind OpKind, child string, call int64) Op {
	return Op{Client: client, Node: "n1", Child: child, Kind: kind, Call: call, Outcome: OutcomeUnknown}
}

func hist(ops ...Op) History { return History{Ops: ops} }

func TestLinearizableOk(t *testing.T) {
	tests := []struct {
		name string
		h    History
	}{
		{"empty", hist()},
		{"start lookup stop lookup", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(0, OpLookup, "a", 20, 30, OutcomeOK, 1),
			op(0, OpStop, "a", 40, 50, OutcomeOK, 0),
			op(0, OpLookup, "a", 60, 70, OutcomeNotFound, 0),
			op(0, OpStop, "a", 80, 90, OutcomeNotFound, 0),
		)},
		{"concurrent starts: one wins", hist(
			op(0, OpStart, "a", 0, 10, OutcomeAlreadyStarted, 0),
			op(1, OpStart, "a", 5, 15, OutcomeOK, 1),
		)},
		{"lookup concurrent with start may miss it", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(1, OpLookup, "a", 10, 20, OutcomeNotFound, 0),
		)},
		{"epoch grows by migration", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 3),
			op(0, OpLookup, "a", 20, 30, OutcomeOK, 5),
			op(0, OpLookup, "a", 40, 50, OutcomeOK, 5),
		)},
		{"epochs may restart after a stop", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 7),
			op(0, OpStop, "a", 20, 30, OutcomeOK, 0),
			op(0, OpStart, "a", 40, 50, OutcomeOK, 1),
			op(0, OpLookup, "a", 60, 70, OutcomeOK, 1),
		)},
		{"restart cycle, two children", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(1, OpStart, "b", 0, 10, OutcomeOK, 1),
			op(0, OpStop, "a", 20, 30, OutcomeOK, 0),
			op(0, OpStart, "a", 40, 50, OutcomeOK, 2),
			op(1, OpLookup, "b", 40, 50, OutcomeOK, 1),
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckLinearizableHarness(tt.h)
			if res.Status != LinOk {
				t.Fatalf("got %v, want ok\n%s", res, tt.h)
			}
		})
	}
}

func TestLinearizableIllegal(t *testing.T) {
	tests := []struct {
		name string
		h    History
	}{
		{"two acknowledged starts without a stop", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(1, OpStart, "a", 20, 30, OutcomeOK, 2),
		)},
		{"stop ok on an absent child", hist(
			op(0, OpStop, "a", 0, 10, OutcomeOK, 0),
		)},
		{"lookup not-found after an acknowledged start", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(1, OpLookup, "a", 20, 30, OutcomeNotFound, 0),
		)},
		{"lookup found after an acknowledged stop", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(0, OpStop, "a", 20, 30, OutcomeOK, 0),
			op(1, OpLookup, "a", 40, 50, OutcomeOK, 1),
		)},
		{"already-started on an absent child", hist(
			op(0, OpStart, "a", 0, 10, OutcomeAlreadyStarted, 0),
		)},
		{"lookup epoch below a completed start", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 4),
			op(1, OpLookup, "a", 20, 30, OutcomeOK, 3),
		)},
		{"lookup epoch goes backwards", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(1, OpLookup, "a", 20, 30, OutcomeOK, 5),
			op(2, OpLookup, "a", 40, 50, OutcomeOK, 4),
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckLinearizableHarness(tt.h)
			if res.Status != LinIllegal || res.Child != "a" {
				t.Fatalf("got %v (child %q), want illegal on a\n%s", res, res.Child, tt.h)
			}
		})
	}
}

func TestLinearizableNamesFailingChildren(t *testing.T) {
	h := hist(
		op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
		op(1, OpStart, "c", 0, 10, OutcomeOK, 1),
		op(1, OpStart, "c", 20, 30, OutcomeOK, 2), // illegal
		op(2, OpStop, "b", 0, 10, OutcomeOK, 0),   // illegal
		op(0, OpLookup, "a", 20, 30, OutcomeOK, 1),
	)
	res := CheckLinearizableHarness(h)
	if res.Status != LinIllegal {
		t.Fatalf("got %v, want illegal", res)
	}
	if res.Child != "b" {
		t.Errorf("first failing child %q, want b", res.Child)
	}
	if diff := cmp.Diff([]string{"b", "c"}, res.FailingChildren); diff != "" {
		t.Errorf("failing children (-want +got):\n%s", diff)
	}
}

func TestLinearizableUnknownOutcomes(t *testing.T) {
	tests := []struct {
		name string
		h    History
		want LinStatus
	}{
		{"unknown start later seen", hist(
			unknown(0, OpStart, "a", 0),
			op(1, OpLookup, "a", 100, 110, OutcomeOK, 1),
		), LinOk},
		{"unknown start never applied", hist(
			unknown(0, OpStart, "a", 0),
			op(1, OpLookup, "a", 100, 110, OutcomeNotFound, 0),
		), LinOk},
		{"unknown start applied before a later already-started", hist(
			unknown(0, OpStart, "a", 0),
			op(1, OpStart, "a", 100, 110, OutcomeAlreadyStarted, 0),
		), LinOk},
		{"unknown start applied after a later start", hist(
			unknown(0, OpStart, "a", 0),
			op(1, OpStart, "a", 100, 110, OutcomeOK, 1),
			op(1, OpLookup, "a", 120, 130, OutcomeOK, 1),
		), LinOk},
		{"unknown stop explains a not-found", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			unknown(0, OpStop, "a", 20),
			op(1, OpLookup, "a", 100, 110, OutcomeNotFound, 0),
		), LinOk},
		{"unknown start explains a second stop", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(0, OpStop, "a", 20, 30, OutcomeOK, 0),
			unknown(1, OpStart, "a", 25),
			op(0, OpStop, "a", 40, 50, OutcomeOK, 0),
		), LinOk},
		{"unknown start leaves no epoch bound", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 5),
			unknown(1, OpStop, "a", 15),
			unknown(1, OpStart, "a", 20),
			op(2, OpLookup, "a", 100, 110, OutcomeOK, 1),
		), LinOk},
		{"unknown lookups are dropped", hist(
			unknown(0, OpLookup, "a", 0),
			op(1, OpStop, "a", 10, 20, OutcomeNotFound, 0),
		), LinOk},
		{"unknown stop called too late to explain", hist(
			op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
			op(1, OpLookup, "a", 20, 30, OutcomeNotFound, 0),
			unknown(0, OpStop, "a", 40),
		), LinIllegal},
		{"unknown start called too late to explain", hist(
			op(1, OpLookup, "a", 20, 30, OutcomeOK, 1),
			unknown(0, OpStart, "a", 40),
		), LinIllegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckLinearizableHarness(tt.h)
			if res.Status != tt.want {
				t.Fatalf("got %v, want %v\n%s", res, tt.want, tt.h)
			}
		})
	}
}

func TestLinearizableFailedOpsConstrainNothing(t *testing.T) {
	h := hist(
		op(0, OpStop, "a", 0, 10, OutcomeFailed, 0),
		op(0, OpStart, "a", 20, 30, OutcomeOK, 1),
		op(1, OpStart, "a", 40, 50, OutcomeFailed, 0),
		op(1, OpLookup, "a", 60, 70, OutcomeFailed, 0),
		op(1, OpLookup, "a", 80, 90, OutcomeOK, 1),
	)
	res := CheckLinearizableHarness(h)
	if res.Status != LinOk || res.Checked != 2 || res.Unchecked != 3 {
		t.Fatalf("got %v, want ok with 2 checked, 3 unchecked", res)
	}
}

func TestLinearizableMalformed(t *testing.T) {
	for _, o := range []Op{
		op(0, OpStop, "a", 0, 10, OutcomeAlreadyStarted, 0),
		op(0, OpStart, "a", 0, 10, OutcomeNotFound, 0),
		op(0, OpStart, "a", 10, 0, OutcomeOK, 1),
		op(0, OpStart, "", 0, 10, OutcomeOK, 1),
		op(0, OpKind(9), "a", 0, 10, OutcomeOK, 1),
		op(0, OpStart, "a", 0, 10, Outcome(0), 1),
	} {
		res := CheckLinearizableHarness(hist(o))
		if res.Status != LinMalformed || res.Err == nil {
			t.Errorf("%v: got %v, want malformed", o, res)
		}
	}
}

func TestLinearizableLanes(t *testing.T) {
	h := hist(
		unknown(0, OpStart, "a", 0),
		op(0, OpStop, "a", 400, 410, OutcomeOK, 0),
		op(0, OpLookup, "a", 420, 430, OutcomeNotFound, 0),
		op(1, OpLookup, "b", 0, 10, OutcomeNotFound, 0),
	)
	ops, _, res := buildOperations(h)
	if res.Unknown != 1 || res.Checked != 4 {
		t.Fatalf("got %+v", res)
	}
	var lanes []int
	for _, o := range ops {
		lanes = append(lanes, o.ClientId)
	}
	// Call order: unknown(c0)=lane0, lookup b(c1)=lane1, stop(c0): lane0 is
	// open until +∞ so lane2, lookup(c0) reuses lane2.
	if diff := cmp.Diff([]int{0, 1, 2, 2}, lanes); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
	if ops[0].Return <= 430 {
		t.Errorf("unknown op returns at %d, want after every real instant", ops[0].Return)
	}
}

// hardIllegal returns a single-child history whose refutation explores
// about 2^n states: n lookups, half found and half not, all concurrent with
// one start, followed by an impossible pair of acknowledged stops.
func hardIllegal(n int) History {
	h := hist(op(0, OpStart, "a", 0, 1000, OutcomeOK, 1))
	for i := 0; i < n; i++ {
		out := OutcomeOK
		if i%2 == 0 {
			out = OutcomeNotFound
		}
		h.Add(op(i+1, OpLookup, "a", int64(i), 1000, out, 0))
	}
	h.Add(op(0, OpStop, "a", 2000, 2010, OutcomeOK, 0))
	h.Add(op(0, OpStop, "a", 3000, 3010, OutcomeOK, 0))
	return h
}

// TestLinearizableTimeoutIsInconclusive: a history porcupine needs far
// more than a million model steps to decide (more than a second on any
// machine) cannot be decided in 20 ms, so the wall-clock timeout ends it
// as inconclusive; load only makes that more certain.
func TestLinearizableTimeoutIsInconclusive(t *testing.T) {
	if res := CheckLinearizableHarness(hardIllegal(6)); res.Status != LinIllegal {
		t.Fatalf("small instance: got %v, want illegal", res)
	}
	res := CheckLinearizable(hardIllegal(60), 20*time.Millisecond)
	if res.Status != LinInconclusive {
		t.Fatalf("got %v, want inconclusive", res)
	}
	if err := res.WriteVisualization(filepath.Join(t.TempDir(), "h.html")); !errors.Is(err, ErrNotVisualizable) {
		t.Fatalf("visualizing after a timeout: got %v, want ErrNotVisualizable", err)
	}
}

// hardSteps is a step budget hardIllegal(6) is decided within (about a
// thousand steps) and hardIllegal(60) is not (it is still undecided
// after a million).
const hardSteps = 100_000

func TestLinearizableStepBudgetIsInconclusive(t *testing.T) {
	if res := CheckLinearizableWithin(hardIllegal(6), LinBudget{Steps: hardSteps}); res.Status != LinIllegal || res.Child != "a" {
		t.Fatalf("small instance: got %v, want illegal on a", res)
	}
	res := CheckLinearizableWithin(hardIllegal(60), LinBudget{Steps: hardSteps})
	if res.Status != LinInconclusive || res.Child != "" || len(res.FailingChildren) != 0 {
		t.Fatalf("got %v (failing %v), want inconclusive naming no child", res, res.FailingChildren)
	}
	if err := res.WriteVisualization(filepath.Join(t.TempDir(), "h.html")); !errors.Is(err, ErrNotVisualizable) {
		t.Fatalf("visualizing an undecided check: got %v, want ErrNotVisualizable", err)
	}
}

// TestLinearizableIllegalDespiteTimeout: a child that is illegal on its
// own is reported although another child's search ran out of budget.
// The budget is counted in model steps, so the verdict is the same on an
// idle and on a loaded machine (a 20 ms wall-clock timeout here failed
// under load: the illegal child's goroutine did not run before it).
func TestLinearizableIllegalDespiteTimeout(t *testing.T) {
	h := hardIllegal(60)
	for i := range h.Ops {
		h.Ops[i].Child = "z"
	}
	h.Add(op(0, OpStop, "a", 0, 10, OutcomeOK, 0))
	res := CheckLinearizableWithin(h, LinBudget{Steps: hardSteps})
	if res.Status != LinIllegal || res.Child != "a" {
		t.Fatalf("got %v (child %q), want illegal on a", res, res.Child)
	}
	if diff := cmp.Diff([]string{"a"}, res.FailingChildren); diff != "" {
		t.Errorf("failing children (-want +got):\n%s", diff)
	}
	if err := res.WriteVisualization(filepath.Join(t.TempDir(), "h.html")); !errors.Is(err, ErrNotVisualizable) {
		t.Errorf("visualizing after an exhausted budget: got %v, want ErrNotVisualizable", err)
	}
}

// TestStepBudgetDoesNotChangeDecidedVerdicts: a budget the search fits
// in gives porcupine's own verdict, visualization included.
func TestStepBudgetDoesNotChangeDecidedVerdicts(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		h := genHistory(genConfig{Ops: 300, Children: 5, Clients: 4, UnknownFrac: 0.02, Seed: seed})
		res := CheckLinearizableWithin(h, LinBudget{Steps: hardSteps})
		if res.Status != LinOk {
			t.Fatalf("seed %d: got %v, want ok", seed, res)
		}
		if err := res.WriteVisualization(filepath.Join(t.TempDir(), "h.html")); err != nil {
			t.Fatalf("seed %d: visualizing: %v", seed, err)
		}
	}
	h := hist(op(0, OpStart, "alpha", 0, 10, OutcomeOK, 1), op(1, OpStart, "alpha", 20, 30, OutcomeOK, 2))
	if res := CheckLinearizableWithin(h, LinBudget{Steps: hardSteps}); res.Status != LinIllegal || !res.visualizable {
		t.Fatalf("got %v (visualizable %v), want a visualizable illegal verdict", res, res.visualizable)
	}
}

// TestConfirmFailingKeepsOnlyChildrenFailingAlone: after a timeout, the
// children porcupine left incomplete are re-checked alone, and only one
// that fails alone is named (the timeout path of CheckLinearizable, whose
// race with porcupine's goroutines no test can steer).
func TestConfirmFailingKeepsOnlyChildrenFailingAlone(t *testing.T) {
	h := hist(
		op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
		op(0, OpLookup, "a", 20, 30, OutcomeOK, 1),
		op(1, OpStop, "b", 0, 10, OutcomeOK, 0),
	)
	ops, _, _ := buildOperations(h)
	if got := confirmFailing(RegistryModel(), ops, []string{"a", "b"}, checkTimeout); !cmp.Equal(got, []string{"b"}) {
		t.Fatalf("confirmFailing = %v, want [b]", got)
	}
	if got := confirmFailing(RegistryModel(), ops, []string{"a"}, checkTimeout); got != nil {
		t.Fatalf("confirmFailing of a legal child = %v, want none", got)
	}
}

func TestWriteVisualization(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    History
		want LinStatus
	}{
		{"ok", hist(
			op(0, OpStart, "alpha", 0, 10, OutcomeOK, 1),
			unknown(1, OpStop, "alpha", 5),
			op(2, OpLookup, "alpha", 20, 30, OutcomeFailed, 0),
		), LinOk},
		{"illegal", hist(
			op(0, OpStart, "alpha", 0, 10, OutcomeOK, 1),
			op(1, OpStart, "alpha", 20, 30, OutcomeOK, 2),
		), LinIllegal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckLinearizableHarness(tt.h)
			if res.Status != tt.want {
				t.Fatalf("got %v, want %v", res, tt.want)
			}
			res.Annotate(Annotation{Tag: "nemesis", Start: 2, End: 25, Description: "partition {n1}|{n2,n3}"})
			path := filepath.Join(t.TempDir(), "history.html")
			if err := res.WriteVisualization(path); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"start(alpha)@n1", "partition {n1}|{n2,n3}"} {
				if !strings.Contains(string(b), want) {
					t.Errorf("visualization (%d bytes) lacks %q", len(b), want)
				}
			}
		})
	}
}

func TestGeneratedHistories(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		h := genHistory(genConfig{Ops: 2000, Children: 20, Clients: 10, UnknownFrac: 0.02, Seed: seed})
		res := CheckLinearizableHarness(h)
		if res.Status != LinOk {
			t.Fatalf("seed %d: %v\n%s", seed, res, h.Describe())
		}
		// Break it: after everything, a lookup reports the opposite of the
		// state the generator left the child in. With no unknown outcomes
		// this is always illegal.
		h = genHistory(genConfig{Ops: 2000, Children: 20, Clients: 10, Seed: seed})
		last := h.Ops[len(h.Ops)-1]
		end := int64(0)
		for _, o := range h.Ops {
			end = max(end, o.Return)
		}
		probe := CheckLinearizableHarness(hist(append(h.ForChild(last.Child).Ops,
			op(99, OpLookup, last.Child, end+1, end+2, OutcomeNotFound, 0))...))
		bad := op(99, OpLookup, last.Child, end+1, end+2, OutcomeNotFound, 0)
		if probe.Status == LinOk { // absent at the end
			bad = op(99, OpLookup, last.Child, end+1, end+2, OutcomeOK, 0)
		}
		h.Add(bad)
		if res := CheckLinearizableHarness(h); res.Status != LinIllegal || res.Child != last.Child {
			t.Fatalf("seed %d: broken history: got %v (child %q), want illegal on %s", seed, res, res.Child, last.Child)
		}
	}
}
