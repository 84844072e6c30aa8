package phub_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// Stop and terminate results name the nodes the child ran on and the
// epoch that ended (the epoch its start reported).
func TestStopAndTerminateResultsNameNodesAndEpoch(t *testing.T) {
	c := newCluster(t, 3, nil)
	a := c.hub("a")
	ctx := ctxT(t, 10*time.Second)
	started, err := a.StartChildren(ctx, specs("noop", "se", 3), phub.Await())
	if err != nil || !started.OK() {
		t.Fatalf("start: %v %v", err, started.Errors())
	}
	stopped, err := a.StopChildren(ctx, []core.ChildID{"se-000", "se-001"}, phub.Await())
	if err != nil || !stopped.OK() {
		t.Fatalf("stop: %v %v", err, stopped.Errors())
	}
	for i, r := range stopped.Results {
		s := started.Results[i]
		if r.Epoch != s.Epoch || !slices.Equal(r.Nodes, s.Nodes) {
			t.Errorf("stop %s: nodes %v epoch %d, started on %v epoch %d", r.ID, r.Nodes, r.Epoch, s.Nodes, s.Epoch)
		}
	}
	s := started.Results[2]
	r, err := c.hub(s.Nodes[0]).TerminateChildResult(ctx, s.ID)
	if err != nil || r.Epoch != s.Epoch || !slices.Equal(r.Nodes, s.Nodes) {
		t.Errorf("terminate %s: %v nodes %v epoch %d, started on %v epoch %d", s.ID, err, r.Nodes, r.Epoch, s.Nodes, s.Epoch)
	}
	if _, err := a.TerminateChildResult(ctx, "nope"); !errors.Is(err, phub.ErrNotFound) {
		t.Errorf("terminate unknown: %v", err)
	}
}
