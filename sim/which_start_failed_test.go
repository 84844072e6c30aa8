package sim

import (
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// TestWhichListsAFailedStartUntilItsNodeTakesTheReport replays the
// situation of none strict seed 2083 (long sweep at 0021fbd): a child whose
// start fails ends when the failure is reported, but its node is a busy
// event loop (BatchInputs) and takes the report from its queue only later;
// a which_children_global the node takes directly before that lists the
// instance as starting. The node cannot know better, so the check accepts
// a listing until the node took the report in (checks.Instance.EndSeen),
// and still rejects one after it (the checks unit tests).
func TestWhichListsAFailedStartUntilItsNodeTakesTheReport(t *testing.T) {
	s := New(Options{Seed: 5, BatchInputs: true, InputCost: 5 * time.Millisecond})
	for i := 1; i <= 3; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second)
	spec := core.ChildSpec{ID: "f1", Params: map[string]string{"fail": "start"}}
	owner := s.Node(nodeName(1)).BelongsTo(spec.ID, 1)[0]
	asked := nodeName(1)
	if asked == owner {
		asked = nodeName(2)
	}
	// Asked elsewhere, the owner starts f1 from a message: in a batch,
	// after which its loop is busy for InputCost per input, longer than
	// the child takes to fail.
	if _, err := s.Request(asked, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{spec}}); err != nil {
		t.Fatal(err)
	}
	// Step until the instance exists, then past its failure report.
	var failed checks.Instance
	for deadline := s.Now().Add(5 * time.Second); s.Now() < deadline && failed.Child == ""; {
		s.RunFor(100 * time.Microsecond)
		for _, in := range s.Instances() {
			if in.Child == "f1" {
				failed = in
			}
		}
	}
	if failed.Child == "" {
		t.Fatal("f1 never started")
	}
	for int64(s.Now()) <= failed.End {
		s.RunFor(100 * time.Microsecond)
	}
	local := s.Node(owner).WhichChildrenLocal().Children
	if len(local) != 1 || local[0].ID != "f1" || local[0].Instance != failed.Instance {
		t.Fatalf("precondition: %s should still list f1 #%d (its failure report queued while it is busy), lists %+v", owner, failed.Instance, local)
	}
	id, err := s.Request(owner, core.Request{Op: core.OpWhichGlobal, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.RunFor(time.Second)
	rep, ok := s.Reply(id)
	if !ok || rep.Err != nil {
		t.Fatalf("which_children_global: answered %v, %v", ok, rep.Err)
	}
	listed := false
	for _, g := range rep.Global {
		for _, c := range g.Children {
			listed = listed || (g.Node == owner && c.ID == "f1" && c.Instance == failed.Instance)
		}
	}
	if !listed {
		t.Fatalf("the answer does not list f1 #%d on %s (the situation of seed 2083 was not reached): %+v", failed.Instance, owner, rep.Global)
	}
	ins := s.Instances()
	var seen int64
	for _, in := range ins {
		if in.Child == "f1" && in.Instance == failed.Instance {
			seen = in.EndSeen
		}
	}
	if seen <= failed.End {
		t.Fatalf("EndSeen %d, want after the failure report at %d (the node took it later)", seen, failed.End)
	}
	if vs := checks.WhichChildrenGlobal(s.whichObs, ins); len(vs) != 0 {
		t.Fatalf("the answer was checked against what its node knew: %v", vs)
	}
	// The check as it was (end = the report, however late the node took it
	// in) fails here, as seed 2083 did.
	for i := range ins {
		ins[i].EndSeen = 0
	}
	if vs := checks.WhichChildrenGlobal(s.whichObs, ins); len(vs) == 0 {
		t.Fatal("without EndSeen the listing passes too: the test no longer reproduces seed 2083")
	}
}
