package kinds

import (
	"testing"

	"github.com/phub/phub/core"
)

// Every line the node writes parses back to what it meant; malformed
// lines are errors naming the line.
func TestGuardLinesParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want guardLine
	}{
		{"D 123", guardLine{op: 'D', mono: 123}},
		{"D 9223372036854775807", guardLine{op: 'D', mono: int64(core.NoLease)}},
		{`P 42 "c 1\n" 7`, guardLine{op: 'P', pid: 42, id: "c 1\n", instance: 7}},
		{`S "x" 3 99`, guardLine{op: 'S', id: "x", instance: 3, mono: 99}},
		{"F 42", guardLine{op: 'F', pid: 42}},
	} {
		got, err := parseGuardLine(tc.line)
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "D", "D x", "Q 1", `P 1 x 2`, `S "x" 3`, "F -", `P 1 "x" -2`} {
		if _, err := parseGuardLine(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// The guard kills a process at the earlier of the node's deadline and its
// instance's stop cap; a process it was not told of follows the node's
// deadline; once swept, a passed deadline does not wake it again.
func TestGuardStateDeadlines(t *testing.T) {
	s := newGuardState()
	if s.next() != int64(core.NoLease) {
		t.Fatalf("idle guard wakes at %d", s.next())
	}
	s.apply(guardLine{op: 'D', mono: 100})
	s.apply(guardLine{op: 'P', pid: 10, id: "a", instance: 1})
	s.apply(guardLine{op: 'P', pid: 11, id: "b", instance: 1})
	s.apply(guardLine{op: 'S', id: "b", instance: 1, mono: 50})
	s.apply(guardLine{op: 'S', id: "b", instance: 1, mono: 70}) // a later cap never extends
	if got := s.next(); got != 50 {
		t.Fatalf("next %d, want the stop cap 50", got)
	}
	if got := s.due([]int{10, 11, 12}, 60); len(got) != 1 || got[0] != 11 {
		t.Fatalf("due at 60: %v, want [11]", got)
	}
	s.apply(guardLine{op: 'D', mono: 200}) // renewed
	if got := s.due([]int{10, 12}, 150); len(got) != 0 {
		t.Fatalf("due at 150 after renewal: %v", got)
	}
	if got := s.due([]int{10, 12}, 200); len(got) != 2 {
		t.Fatalf("due at 200: %v, want the told (10) and the untold (12) child", got)
	}
	if got := s.next(); got != int64(core.NoLease) {
		t.Fatalf("after the sweep the guard wakes at %d", got)
	}
	s.apply(guardLine{op: 'P', pid: 13, id: "c", instance: 1})
	s.apply(guardLine{op: 'F', pid: 13})
	if len(s.procs) != 0 || len(s.caps) != 0 {
		t.Fatalf("state not forgotten: %+v", s)
	}
}
