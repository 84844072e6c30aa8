package checks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHistoryHelpers(t *testing.T) {
	var h History
	if i := h.Add(op(0, OpStart, "b", 0, 10, OutcomeOK, 3)); i != 0 {
		t.Fatalf("Add returned %d", i)
	}
	h.Add(unknown(1, OpStop, "a", 5))
	h.Add(op(1, OpLookup, "b", 20, 30, OutcomeNotFound, 0))
	if h.Len() != 3 {
		t.Fatalf("Len %d", h.Len())
	}
	if diff := cmp.Diff([]string{"a", "b"}, h.Children()); diff != "" {
		t.Errorf("Children (-want +got):\n%s", diff)
	}
	if got := h.ForChild("b").Len(); got != 2 {
		t.Errorf("ForChild(b) has %d ops", got)
	}
	s := h.String()
	for _, want := range []string{"c0@n1 start(b) [0,10] -> ok [n1] e3", "stop(a) [5,∞] -> unknown", "lookup(b) [20,30] -> not-found"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	if d := h.Describe(); !strings.Contains(d, "3 ops (start 1, stop 1, lookup 1; ok 1, already-started 0, not-found 1, failed 0, unknown 1) over 2 children, 2 clients") {
		t.Errorf("Describe() = %s", d)
	}
	if err := h.Validate(); err != nil {
		t.Error(err)
	}
}

func TestExpect(t *testing.T) {
	h := hist(
		// a: started, never stopped.
		op(0, OpStart, "a", 0, 10, OutcomeOK, 1),
		// b: started, then stopped.
		op(0, OpStart, "b", 0, 10, OutcomeOK, 1),
		op(0, OpStop, "b", 20, 30, OutcomeOK, 0),
		// c: started, then an unknown stop: no obligation.
		op(0, OpStart, "c", 0, 10, OutcomeOK, 1),
		unknown(1, OpStop, "c", 20),
		// d: stop concurrent with start: neither forced.
		op(0, OpStart, "d", 0, 10, OutcomeOK, 1),
		op(1, OpStop, "d", 10, 20, OutcomeOK, 0),
		// e: stopped, then an unknown start: may run.
		op(0, OpStart, "e", 0, 10, OutcomeOK, 1),
		op(0, OpStop, "e", 20, 30, OutcomeOK, 0),
		unknown(0, OpStart, "e", 40),
	)
	want := map[string]Expectation{
		"a": {MustRun: true, StartedAt: 10, StartEpoch: 1},
		"b": {MustBeStopped: true, StoppedAt: 30},
		"c": {},
		"d": {},
		"e": {},
	}
	if diff := cmp.Diff(want, Expect(h)); diff != "" {
		t.Errorf("Expect (-want +got):\n%s", diff)
	}
}
