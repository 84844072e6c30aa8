package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRequestBytesCountThePinnedNodes: a guided start's child mapping is
// part of the request's encoded size, so a mapping that pushes the
// request past MaxRequestBytes is refused with the field's name even when
// the specs alone fit.
func TestRequestBytesCountThePinnedNodes(t *testing.T) {
	l := DefaultLimits()
	spec := ChildSpec{ID: "c"}
	l.MaxRequestBytes = specBound(&spec) + metadataBound(nil) + 16
	alone := Request{Op: OpStart, Specs: []ChildSpec{spec}}
	if err := l.CheckRequest(alone); err != nil {
		t.Fatalf("the spec alone is refused: %v", err)
	}
	var nodes []NodeID
	for i := 0; i < 4; i++ {
		nodes = append(nodes, NodeID(fmt.Sprintf("node-with-a-long-name-%d", i)))
	}
	pinned := alone
	pinned.Start.ChildMapping = map[ChildID][]NodeID{"c": nodes}
	err := l.CheckRequest(pinned)
	if !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "(Limits.MaxRequestBytes)") {
		t.Fatalf("a mapping of %d long node names past MaxRequestBytes %d: %v, want ErrLimitExceeded naming it", len(nodes), l.MaxRequestBytes, err)
	}
}

// TestLimitErrorsWriteSizesInTheirUnit: a byte-size refusal writes the
// size and the limit the way the limits are configured — bytes below
// 1 KiB, then KiB, then MiB — so "limit 100 B" reads as what was set.
func TestLimitErrorsWriteSizesInTheirUnit(t *testing.T) {
	l := DefaultLimits()
	for _, c := range []struct {
		limit int
		want  string
	}{{100, "limit 100 B"}, {1000, "limit 1000 B"}, {2048, "limit 2 KiB"}, {1536, "limit 1.5 KiB"}, {3 << 20, "limit 3 MiB"}} {
		l.MaxRequestBytes = c.limit
		r := Request{Op: OpStart}
		for size := 0; size <= c.limit; size += specBound(&ChildSpec{ID: "child-0000"}) {
			r.Specs = append(r.Specs, ChildSpec{ID: ChildID(fmt.Sprintf("child-%04d", len(r.Specs)))})
		}
		l.MaxBatch = len(r.Specs)
		err := l.CheckRequest(r)
		if err == nil || !strings.Contains(err.Error(), c.want+" (Limits.MaxRequestBytes)") {
			t.Errorf("MaxRequestBytes %d: %v, want %q", c.limit, err, c.want)
		}
	}
}
