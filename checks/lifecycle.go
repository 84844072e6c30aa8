package checks

import "fmt"

// NoLostChildren asserts, at t.Now (meant for quiescence), that every child
// Expect(t.History) marks MustRun — acknowledged started, and no stop could
// have taken effect since — has at least one running instance on a live
// node. Children in t.Gone and t.Unplaceable are exempt.
func NoLostChildren(t Truth) []Violation {
	live := make(map[string]bool, len(t.LiveNodes))
	for _, n := range t.LiveNodes {
		live[n] = true
	}
	by, _ := t.running()
	var vs []Violation
	for child, e := range Expect(t.History) {
		if !e.MustRun || t.Gone[child] || t.Unplaceable[child] {
			continue
		}
		runs := false
		for _, in := range by[child] {
			runs = runs || live[in.Node]
		}
		if !runs {
			vs = append(vs, Violation{Check: CheckNoLostChildren, Child: child,
				Detail: fmt.Sprintf("start acknowledged at %d (epoch %d), no later stop, but no instance runs at %d",
					e.StartedAt, e.StartEpoch, t.Now)})
		}
	}
	return SortViolations(vs)
}

// NoResurrection asserts two things about stopped children:
//
//  1. No resurrection (safety, over the whole run): no instance of a child
//     starts after an acknowledged stop X returned, unless some start S
//     (ok or unknown outcome) could have taken effect after X (S returned,
//     or never returned, at or after X was called) and S was called no
//     later than the instance started.
//  2. No zombie (at t.Now, meant for quiescence): no instance runs of a
//     child Expect marks MustBeStopped.
func NoResurrection(t Truth) []Violation {
	byChild := make(map[string][]Op)
	for _, op := range t.History.Ops {
		byChild[op.Child] = append(byChild[op.Child], op)
	}
	var vs []Violation
	for _, in := range t.Instances {
		ops := byChild[in.Child]
		for _, x := range ops {
			if x.Kind != OpStop || x.Outcome != OutcomeOK || in.Start <= x.Return {
				continue
			}
			if !restartedBetween(ops, x, in.Start) {
				vs = append(vs, Violation{Check: CheckNoResurrection, Child: in.Child, Node: in.Node,
					Detail: fmt.Sprintf("instance %s started after the stop acknowledged at %d (%s) with no start issued since", in, x.Return, x)})
				break
			}
		}
	}
	expect := Expect(t.History)
	for _, in := range t.Instances {
		if e := expect[in.Child]; e.MustBeStopped && in.RunningAt(t.Now) {
			vs = append(vs, Violation{Check: CheckNoResurrection, Child: in.Child, Node: in.Node,
				Detail: fmt.Sprintf("instance %s still runs at %d after the stop acknowledged at %d", in, t.Now, e.StoppedAt)})
		}
	}
	return SortViolations(vs)
}

// restartedBetween reports whether some start among ops could have taken
// effect after stop x and was called no later than instant at.
func restartedBetween(ops []Op, x Op, at int64) bool {
	for _, s := range ops {
		if s.Kind == OpStart && effectReturn(s) >= x.Call && s.Call <= at {
			return true
		}
	}
	return false
}
