package checks

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// inst builds an active instance; end < 0 means still running.
func inst(child, node string, epoch uint64, start, end int64) Instance {
	return Instance{Child: child, Node: node, Epoch: epoch, Instance: uint64(start)*10 + epoch, Start: start, End: end, Active: true}
}

// ring is a toy placement over live nodes: n consecutive nodes starting at
// an offset derived from the child id.
func ring(live []string) func(string, int) []string {
	return func(child string, n int) []string {
		off := int(child[0]) % len(live)
		out := make([]string, n)
		for i := range out {
			out[i] = live[(off+i)%len(live)]
		}
		return out
	}
}

// where returns "check child@node" per violation, to compare exactly which
// guarantees broke where.
func where(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Check+" "+v.Child+"@"+v.Node)
	}
	return out
}

func expectViolations(t *testing.T, got []Violation, want ...string) {
	t.Helper()
	for _, v := range got {
		t.Log(v)
	}
	if diff := cmp.Diff(want, where(got)); diff != "" {
		t.Errorf("violations (-want +got):\n%s\nfull: %v", diff, got)
	}
	if !slices.IsSortedFunc(got, func(a, b Violation) int {
		return strings.Compare(where([]Violation{a})[0]+"\x00"+a.Detail, where([]Violation{b})[0]+"\x00"+b.Detail)
	}) {
		t.Errorf("violations not sorted: %v", got)
	}
}

var live3 = []string{"n1", "n2", "n3"}

func TestSingularity(t *testing.T) {
	ok := Truth{Now: 100, LiveNodes: live3, Factor: 1, Instances: []Instance{
		inst("a", "n1", 1, 0, 50), inst("a", "n2", 2, 50, -1), inst("b", "n3", 1, 0, -1),
	}}
	expectViolations(t, Singularity(ok))

	bad := ok
	bad.Instances = append(slices.Clone(ok.Instances), inst("b", "n1", 2, 90, -1), inst("a", "n3", 3, 100, -1))
	expectViolations(t, Singularity(bad), "singularity a@", "singularity b@")

	bad.Factor = 2
	expectViolations(t, Singularity(bad))
}

func TestDuplicateOverlap(t *testing.T) {
	total, worst := DuplicateOverlap([]Instance{inst("b", "n1", 1, 0, 10), inst("b", "n2", 2, 10, 20)}, 100)
	if total != 0 || worst != (Overlap{}) {
		t.Fatalf("touching intervals: total %v worst %+v, want none", total, worst)
	}
	total, worst = DuplicateOverlap([]Instance{
		inst("a", "n1", 1, 0, 100), inst("a", "n2", 2, 50, 150), inst("a", "n3", 3, 60, 70),
		inst("b", "n1", 1, 0, 10), inst("b", "n2", 2, 10, 20),
		inst("c", "n1", 1, 200, -1), inst("c", "n2", 2, 240, -1),
	}, 300)
	if total != 110*time.Nanosecond {
		t.Errorf("total %v, want 110ns", total)
	}
	if want := (Overlap{Child: "c", Start: 240, End: 300, Instances: 2}); worst != want {
		t.Errorf("worst %+v, want %+v", worst, want)
	}
}

func TestReplication(t *testing.T) {
	place := ring(live3) // "a" (97) -> offset 1: n2,n3; "b" (98) -> offset 2: n3,n1
	ok := Truth{Now: 100, LiveNodes: live3, Factor: 2, Placement: place, Instances: []Instance{
		inst("a", "n2", 1, 0, -1), inst("a", "n3", 1, 0, -1),
		inst("b", "n3", 1, 0, -1), inst("b", "n1", 1, 0, -1), inst("b", "n2", 0, 0, 50),
	}}
	expectViolations(t, Replication(ok))

	noPlacement := ok
	noPlacement.Placement = nil
	expectViolations(t, Replication(noPlacement))

	bad := ok
	bad.Instances = []Instance{
		inst("a", "n1", 1, 0, -1), inst("a", "n3", 1, 0, -1), // wrong node
		inst("b", "n3", 1, 0, -1),                                                        // under-replicated
		inst("c", "n1", 1, 0, -1), inst("c", "n1", 2, 10, -1), inst("c", "n4", 1, 0, -1), // dup on n1, n4 not live
	}
	expectViolations(t, Replication(bad),
		"replication a@", "replication b@", "replication c@", "replication c@", "replication c@n4")

	all := ok
	all.Factor = -1
	expectViolations(t, Replication(all), "replication a@", "replication b@")

	ap := ok
	ap.ActivePassive = true
	ap.Instances = slices.Clone(ok.Instances)
	ap.Instances[1].Active = false                         // a: one active
	expectViolations(t, Replication(ap), "replication b@") // b: two active
	ap.Instances[2].Active, ap.Instances[3].Active = false, false
	expectViolations(t, Replication(ap), "replication b@") // b: none active
	ap.Instances[3].Active = true
	expectViolations(t, Replication(ap))
}

func TestNoLostChildren(t *testing.T) {
	h := hist(
		op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
		op(0, OpStart, "b", 0, 10, OutcomeOK, 1),
		op(0, OpStop, "b", 20, 30, OutcomeOK, 0),
		op(0, OpStart, "c", 0, 10, OutcomeOK, 1),
	)
	ok := Truth{Now: 100, LiveNodes: live3, Factor: 1, History: h, Instances: []Instance{
		inst("a", "n1", 1, 5, 40), inst("a", "n2", 2, 40, -1),
		inst("b", "n1", 1, 5, 25),
		inst("c", "n3", 1, 5, -1),
	}}
	expectViolations(t, NoLostChildren(ok))

	bad := ok
	bad.Instances = []Instance{inst("a", "n1", 1, 5, 40), inst("c", "n4", 1, 5, -1)} // a ended, c on a dead node
	expectViolations(t, NoLostChildren(bad), "no-lost-children a@", "no-lost-children c@")

	bad.Gone = map[string]bool{"a": true}
	expectViolations(t, NoLostChildren(bad), "no-lost-children c@")
}

func TestNoResurrection(t *testing.T) {
	h := hist(
		op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
		op(0, OpStop, "a", 20, 30, OutcomeOK, 0),
		op(0, OpStart, "a", 50, 60, OutcomeOK, 2), // restarted on purpose
		op(0, OpStart, "b", 0, 10, OutcomeOK, 1),
		op(0, OpStop, "b", 20, 30, OutcomeOK, 0),
		op(1, OpStart, "c", 0, 10, OutcomeOK, 1),
		op(1, OpStop, "c", 20, 30, OutcomeOK, 0),
		unknown(1, OpStart, "c", 40), // may have run again
	)
	ok := Truth{Now: 100, LiveNodes: live3, Factor: 1, History: h, Instances: []Instance{
		inst("a", "n1", 1, 5, 25), inst("a", "n2", 2, 55, -1),
		inst("b", "n1", 1, 5, 30),
		inst("c", "n1", 1, 5, 25), inst("c", "n2", 2, 45, -1),
	}}
	expectViolations(t, NoResurrection(ok))

	bad := ok
	bad.Instances = append(slices.Clone(ok.Instances),
		inst("b", "n3", 2, 35, 40), // resurrected after the acknowledged stop
		inst("a", "n3", 3, 40, 45), // between stop and the next start's call
		inst("b", "n2", 1, 5, -1),  // never stopped: a zombie at Now
		inst("c", "n3", 1, 35, 38), // before the unknown start was called
	)
	expectViolations(t, NoResurrection(bad),
		"no-resurrection a@n3", "no-resurrection b@n2", "no-resurrection b@n3", "no-resurrection c@n3")
}

func TestConvergence(t *testing.T) {
	ok := Truth{Now: 100, LiveNodes: []string{"n1", "n2"}, Factor: 2, Instances: []Instance{
		inst("a", "n1", 3, 0, -1), inst("a", "n2", 3, 0, -1), inst("b", "n2", 1, 0, 50),
	}, Registries: map[string]map[string]RegistryView{
		"n1": {"a": {Nodes: []string{"n2", "n1"}, Epoch: 3}, "b": {Stopped: true, Epoch: 1}},
		"n2": {"a": {Nodes: []string{"n1", "n2"}}},
		"n9": {"zzz": {Nodes: []string{"n9"}}}, // not live: ignored
	}}
	expectViolations(t, Convergence(ok))

	bad := ok
	bad.LiveNodes = []string{"n1", "n2", "n3"}
	bad.Registries = map[string]map[string]RegistryView{
		"n1": {"a": {Nodes: []string{"n1"}, Epoch: 3}, "b": {Nodes: []string{"n2"}}}, // wrong nodes, b listed
		"n2": {"a": {Nodes: []string{"n1", "n2"}, Epoch: 2}},                         // stale epoch
		// n3: no registry at all
	}
	expectViolations(t, Convergence(bad),
		"convergence a@n1", "convergence a@n2", "convergence a@n3", "convergence b@n1")

	bad.Registries = map[string]map[string]RegistryView{
		"n1": {"a": {Stopped: true, Epoch: 3}},
		"n2": {"a": {Nodes: []string{"n1", "n2"}}},
		"n3": {"a": {Nodes: []string{"n1", "n2"}}},
	}
	expectViolations(t, Convergence(bad), "convergence a@n1")
}

func TestEpochsIncrease(t *testing.T) {
	ok := []Instance{
		inst("a", "n1", 1, 0, 10),
		inst("a", "n2", 2, 10, 30),                           // migrated
		inst("a", "n3", 3, 25, 35),                           // hot swap: overlaps n2
		inst("a", "n3", 3, 40, -1),                           // restart on the same node, same epoch: allowed
		inst("b", "n1", 5, 0, -1), inst("b", "n2", 5, 0, -1), // replicas
		inst("c", "n1", 0, 0, 10), inst("c", "n2", 0, 20, 30), // unknown epochs
	}
	expectViolations(t, EpochsIncrease(ok))

	bad := []Instance{
		inst("a", "n1", 2, 0, 10),
		inst("a", "n2", 2, 20, 30), // not above 2
		inst("b", "n1", 4, 0, 10),
		inst("b", "n2", 3, 10, -1), // lower
		inst("c", "n1", 7, 0, 20),
		inst("c", "n1", 7, 10, -1), // overlapping, same (epoch, node)
	}
	expectViolations(t, EpochsIncrease(bad), "epochs-increase a@n2", "epochs-increase b@n2", "epochs-increase c@n1")
}

func TestQuorum(t *testing.T) {
	bound := 50 * time.Nanosecond
	windows := []MinorityWindow{{Node: "n3", Start: 100, End: 500}}
	h := hist(
		Op{Client: 0, Node: "n3", Child: "a", Kind: OpStart, Call: 120, Return: 130, Outcome: OutcomeOK, Epoch: 1}, // before the bound
		Op{Client: 0, Node: "n3", Child: "a", Kind: OpStop, Call: 200, Return: 210, Outcome: OutcomeFailed},
		Op{Client: 1, Node: "n3", Child: "b", Kind: OpStart, Call: 250, Outcome: OutcomeUnknown},
		Op{Client: 1, Node: "n1", Child: "b", Kind: OpStart, Call: 250, Return: 260, Outcome: OutcomeOK, Epoch: 1}, // majority side
		Op{Client: 1, Node: "n3", Child: "c", Kind: OpStop, Call: 500, Return: 510, Outcome: OutcomeOK},            // after the window
	)
	ok := []Instance{inst("a", "n3", 1, 125, 150), inst("b", "n1", 1, 255, -1), inst("c", "n3", 1, 500, -1)}
	expectViolations(t, Quorum(windows, bound, ok, h))

	badInst := append(slices.Clone(ok), inst("d", "n3", 1, 0, 151), inst("e", "n3", 1, 300, 310))
	badH := h
	badH.Ops = append(slices.Clone(h.Ops),
		Op{Client: 2, Node: "n3", Child: "f", Kind: OpLookup, Call: 200, Return: 210, Outcome: OutcomeOK}, // lookups are not judged
		Op{Client: 2, Node: "n3", Child: "g", Kind: OpStop, Call: 300, Return: 310, Outcome: OutcomeNotFound},
	)
	expectViolations(t, Quorum(windows, bound, badInst, badH), "quorum d@n3", "quorum e@n3", "quorum g@n3")

	open := []MinorityWindow{{Node: "n3", Start: 100, End: -1}}
	expectViolations(t, Quorum(open, bound, ok, h), "quorum c@n3", "quorum c@n3")
}

func TestBounded(t *testing.T) {
	expectViolations(t, Bounded("tombstones", []int{1, 5, 10, 3}, 10))
	vs := Bounded("tombstones", []int{1, 11, 30, 3}, 10)
	expectViolations(t, vs, "bounded @")
	if want := "tombstones: sample 1 is 11, over the bound 10 (peak 30)"; vs[0].Detail != want {
		t.Errorf("detail %q, want %q", vs[0].Detail, want)
	}
}

func TestViolationString(t *testing.T) {
	for _, tt := range []struct {
		v    Violation
		want string
	}{
		{Violation{Check: "x", Detail: "d"}, "x: d"},
		{Violation{Check: "x", Child: "a", Detail: "d"}, "x a: d"},
		{Violation{Check: "x", Child: "a", Node: "n1", Detail: "d"}, "x a@n1: d"},
	} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestAcknowledgedEpochsIncrease(t *testing.T) {
	ok := hist(
		Op{Client: 1, Child: "a", Kind: OpStart, Call: 0, Return: 10, Outcome: OutcomeOK, Epoch: 1},
		Op{Client: 1, Child: "a", Kind: OpStop, Call: 20, Return: 30, Outcome: OutcomeOK, Epoch: 2},
		Op{Client: 2, Child: "a", Kind: OpStart, Call: 25, Return: 40, Outcome: OutcomeOK, Epoch: 1}, // concurrent with the stop
		Op{Client: 1, Child: "a", Kind: OpStart, Call: 50, Return: 60, Outcome: OutcomeOK, Epoch: 3},
		Op{Client: 1, Child: "a", Kind: OpStart, Call: 70, Return: 80, Outcome: OutcomeUnknown},
	)
	expectViolations(t, AcknowledgedEpochsIncrease(ok))
	bad := hist(
		Op{Client: 1, Child: "a", Kind: OpStart, Call: 0, Return: 10, Outcome: OutcomeOK, Epoch: 3},
		Op{Client: 1, Child: "a", Kind: OpStop, Call: 20, Return: 30, Outcome: OutcomeOK, Epoch: 4},
		Op{Client: 1, Node: "n2", Child: "a", Kind: OpStart, Call: 500, Return: 510, Outcome: OutcomeOK, Epoch: 1}, // after its tombstone expired
	)
	expectViolations(t, AcknowledgedEpochsIncrease(bad), "epochs-increase a@n2")
}
