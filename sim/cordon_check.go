package sim

import (
	"slices"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// cordonedRunNothing: at quiescence a node that is cordoned (its own
// flag, which only it sets) runs no child except guided ones, which are
// bound to their nodes. The replication check compares instances with
// core's own ring, so it cannot see a ring that forgot to leave cordoned
// nodes out; this check states the promise independently. It is vacuous
// while every live node is cordoned (the ring then keeps them all).
func (s *Sim) cordonedRunNothing(t checks.Truth) []checks.Violation {
	live := s.LiveNodes()
	var cordoned []core.NodeID
	for _, n := range live {
		if slices.Contains(s.nodes[n].node.Cordoned(), n) {
			cordoned = append(cordoned, n)
		}
	}
	if len(cordoned) == 0 || len(cordoned) == len(live) {
		return nil
	}
	s.cover(CoverCordonedAtQuiescence)
	var vs []checks.Violation
	for _, n := range cordoned {
		pinned := map[string]bool{}
		for _, e := range s.nodes[n].node.List() {
			if len(e.Pinned) > 0 {
				pinned[string(e.Spec.ID)] = true
			}
		}
		for _, in := range t.Instances {
			if in.Node == string(n) && in.RunningAt(t.Now) && !pinned[in.Child] {
				vs = append(vs, checks.Violation{Check: checks.CheckCordon, Child: in.Child, Node: in.Node, Detail: "runs on a cordoned node at quiescence"})
			}
		}
	}
	return vs
}
