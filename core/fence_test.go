package core

import (
	"fmt"
	"testing"
)

// String and ParseFence round-trip, and the strings' byte order is the
// tokens' order: epoch first, then incarnation, instance, node.
func TestFenceParseRoundTrip(t *testing.T) {
	for _, f := range []Fence{{Epoch: 1, Incarnation: 2, Instance: 3, Node: "n1"}, {Epoch: ^uint64(0), Node: "a.b"}} {
		g, err := ParseFence(f.String())
		if err != nil || g != f {
			t.Fatalf("ParseFence(%s) = %+v, %v", f, g, err)
		}
	}
	for _, bad := range []string{"", "1.2.3.n", fmt.Sprintf("%020d.%020d.%020d.", 1, 2, 3), "x"} {
		if _, err := ParseFence(bad); err == nil {
			t.Errorf("ParseFence(%q) accepted", bad)
		}
	}
}

func TestFenceOrder(t *testing.T) {
	ordered := []Fence{
		{Epoch: 1, Incarnation: 9, Instance: 9, Node: "z"},
		{Epoch: 2, Incarnation: 1, Instance: 5, Node: "b"},
		{Epoch: 2, Incarnation: 1, Instance: 6, Node: "a"},
		{Epoch: 2, Incarnation: 2, Instance: 1, Node: "a"},
		{Epoch: 2, Incarnation: 2, Instance: 1, Node: "b"},
		{Epoch: 10, Node: "a"},
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			a, b := ordered[i], ordered[j]
			if got := a.Compare(b); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", a, b, got, want)
			}
			if (a.String() < b.String()) != (want < 0) {
				t.Errorf("byte order of %s and %s disagrees with Compare", a, b)
			}
		}
	}
}
