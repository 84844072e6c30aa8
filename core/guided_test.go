package core

import (
	"errors"
	"testing"
)

// TestGuidedValidationOrder checks a guided start's mapping errors follow
// ProcessHub's order (missing, mismatch, replication over every mapping
// entry) and that phub's own node checks come after them.
func TestGuidedValidationOrder(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Distribution.Kind = Guided
	cfg.Redundancy.Factor = 2
	n, err := NewNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	n.Ready()
	spec := []ChildSpec{{ID: "g1"}}
	cases := []struct {
		name    string
		mapping map[ChildID][]NodeID
		want    error
	}{
		{"no mapping", nil, ErrMissingChildMapping},
		// ProcessHub checks the spec ids against the keys before anything
		// about the nodes: a repeated node for another id is a mismatch.
		{"id missing, other id repeats a node", map[ChildID][]NodeID{"g2": {"n1", "n1"}}, ErrChildMappingMismatch},
		// ProcessHub checks the length of every entry, extra keys included.
		{"extra key of the wrong length", map[ChildID][]NodeID{"g1": {"n1", "n2"}, "x": {"n1"}}, ErrChildReplicationMismatch},
		{"repeated node", map[ChildID][]NodeID{"g1": {"n1", "n1"}}, ErrInvalidChildMapping},
		{"node never seen", map[ChildID][]NodeID{"g1": {"n1", "n9"}}, ErrInvalidChildMapping},
	}
	for i, c := range cases {
		n.Request(2, Request{ID: uint64(i + 1), Op: OpStart, Specs: spec, Start: StartOptions{Await: true, ChildMapping: c.mapping}})
		rd := n.Ready()
		if len(rd.Replies) != 1 {
			t.Fatalf("%s: %d replies, want 1", c.name, len(rd.Replies))
		}
		if got := rd.Replies[0].Err; !errors.Is(got, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, got, c.want)
		}
	}
}
