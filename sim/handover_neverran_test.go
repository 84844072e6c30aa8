package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// TestHandoverStateToAnInstanceThatNeverRan: under hot swap with
// handover, n4 joins three nodes running 30 children and takes some of
// them over; each of n4's new instances is crashed once as soon as it
// was given a handed-over state and before it runs (starts take 300 ms,
// longer than RetryInterval). The sender keeps its instance until an
// instance holding the state runs, so checks.HandoverState — which counts
// only instances that ran — finds nothing. Before 8e5c14d the
// retransmission to the restart was taken for a duplicate and acked once
// the restart ran: the sender stopped, and the state reached no instance
// that ran (this test then fails with handover-state violations).
func TestHandoverStateToAnInstanceThatNeverRan(t *testing.T) {
	s := New(Options{Seed: 1, ChildStartDelay: 300 * time.Millisecond, Configure: func(c *core.Config) {
		c.Migration.Kind, c.Migration.Handover = core.HotSwap, true
	}})
	bootAndStart(s, 3, 30)
	s.AddNode("n4")
	var crashed []core.ChildID
	for range 5000 {
		s.RunFor(time.Millisecond)
		sn := s.nodes["n4"]
		ids := make([]core.ChildID, 0, len(sn.children))
		for id := range sn.children {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			c := sn.children[id]
			if c.truth.Ran == 0 && len(c.truth.Given) > 0 && !slices.Contains(crashed, id) && s.CrashChild("n4", id) {
				crashed = append(crashed, id)
			}
		}
	}
	s.RunFor(10 * time.Second)
	if len(crashed) == 0 {
		t.Fatal("no instance on n4 was given a state while starting: nothing judged")
	}
	judged := 0
	for _, h := range s.handoversDone {
		if h.To == "n4" && slices.Contains(crashed, core.ChildID(h.Child)) {
			judged++
		}
	}
	if judged == 0 {
		t.Fatalf("crashed %d instances on n4, but no handover to them completed", len(crashed))
	}
	stash := int64(4 * s.nodes["n1"].cfg.Migration.Retention)
	if vs := checks.HandoverState(s.handoversDone, s.Instances(), stash); len(vs) != 0 {
		t.Fatalf("%d of %d crashed children's states lost, e.g. %v", len(vs), len(crashed), vs[0])
	}
	t.Logf("%d instances crashed before running, %d handovers to them completed", len(crashed), judged)
}
