package sim

import (
	"fmt"
	"time"

	"github.com/phub/phub/core"
)

// handoverSameEpoch runs a cluster in which two instances of one child at
// one epoch hand their state over to the same new instance: 5 nodes
// under hot swap with handover run 40 children; n5 crashes and a
// partition {n1,n2} | {n3,n4} follows, so each side restarts n5's
// children at the same next epoch; n5 comes back and the cut heals, and
// both duplicates hand over to n5's new instance. Each handover must be
// delivered (checks.HandoverState), though both carry one epoch.
func handoverSameEpoch(broken core.BrokenFor) *Sim {
	s := New(Options{Seed: 1, Configure: func(c *core.Config) {
		c.Migration.Kind, c.Migration.Handover = core.HotSwap, true
		c.Broken = broken
	}})
	bootAndStart(s, 5, 40)
	s.Crash("n5")
	s.Partition([]core.NodeID{"n1", "n2"}, []core.NodeID{"n3", "n4"})
	s.RunFor(10 * time.Second)
	s.Restart("n5")
	s.Heal()
	s.RunFor(20 * time.Second)
	return s
}

// bootAndStart adds nodes n1..nN to s, lets them form for 2 s, starts
// children c0..c(children-1) with await at n1 and runs 2 s more.
func bootAndStart(s *Sim, nodes, children int) {
	for i := 1; i <= nodes; i++ {
		s.AddNode(nodeName(i))
	}
	s.RunFor(2 * time.Second)
	specs := make([]core.ChildSpec, children)
	for i := range specs {
		specs[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("c%d", i))}
	}
	s.Request("n1", core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Await: true}})
	s.RunFor(2 * time.Second)
}
