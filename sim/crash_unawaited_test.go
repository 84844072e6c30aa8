package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// TestCrashedUnawaitedStartStaysInHistory: a durable owner crashes
// between writing and syncing the batch of a start nobody awaits, before
// it released the "initiated" reply. The write may have reached the disk,
// and the recovered node then runs the child: the start is an issued
// request of unknown outcome and must be in the history. Before, it was
// dropped, and durable strict seed 22468 of session 6's long sweep
// reported the recovered child as a resurrection "with no start issued
// since".
func TestCrashedUnawaitedStartStaysInHistory(t *testing.T) {
	s := New(Options{Seed: 5, Durable: true})
	for i := 1; i <= 3; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second)
	owner := nodeName(1)
	var id core.ChildID
	for i := 0; i < 100 && id == ""; i++ {
		c := core.ChildID(fmt.Sprintf("x%d", i))
		if pl := s.Node(owner).Placement(c); len(pl) > 0 && pl[0] == owner {
			id = c
		}
	}
	if id == "" {
		t.Fatal("no child of 100 placed on n1")
	}
	s.Buggify(SiteCrashBeforeSync, 1)
	if _, err := s.Request(owner, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}}}); err != nil {
		t.Fatal(err)
	}
	s.Buggify(SiteCrashBeforeSync, 0)
	if s.Up(owner) {
		t.Fatal("the owner did not crash writing the start's batch: the test needs that crash")
	}
	s.RunFor(5 * time.Second)
	for _, op := range s.History().ForChild(string(id)).Ops {
		if op.Kind == checks.OpStart && op.Outcome == checks.OutcomeUnknown {
			return
		}
	}
	t.Fatalf("the start of %s, issued before its owner crashed, is not in the history:\n%s", id, s.History().ForChild(string(id)))
}
