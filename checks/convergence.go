package checks

import (
	"fmt"
	"slices"
	"strings"
)

// Convergence asserts, at t.Now (meant for after heal and quiescence), that
// every live node's registry equals the truth: for every child with running
// instances, the node lists exactly the nodes that run it (as a set), not as
// a tombstone, with the highest running epoch (when both sides know it); and
// it lists no other child except as a tombstone (Stopped) or, for a child
// in t.Unplaceable, as running on no node.
func Convergence(t Truth) []Violation {
	by, children := t.running()
	var vs []Violation
	add := func(child, node, format string, args ...any) {
		vs = append(vs, Violation{Check: CheckConvergence, Child: child, Node: node, Detail: fmt.Sprintf(format, args...)})
	}
	for _, node := range t.LiveNodes {
		reg := t.Registries[node]
		for _, c := range children {
			truth := nodesOf(by[c])
			view, ok := reg[c]
			switch {
			case !ok:
				add(c, node, "registry misses the child running on [%s]", strings.Join(truth, ","))
				continue
			case view.Stopped:
				add(c, node, "registry holds a tombstone; the child runs on [%s]", strings.Join(truth, ","))
				continue
			}
			got := slices.Clone(view.Nodes)
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, truth) {
				add(c, node, "registry says [%s], the child runs on [%s]", strings.Join(got, ","), strings.Join(truth, ","))
			}
			if want := maxEpoch(by[c]); view.Epoch != 0 && want != 0 && view.Epoch != want {
				add(c, node, "registry says epoch %d, highest running epoch is %d", view.Epoch, want)
			}
		}
		listed := make([]string, 0, len(reg))
		for c, view := range reg {
			if !view.Stopped && len(by[c]) == 0 && (len(view.Nodes) > 0 || !t.Unplaceable[c]) {
				listed = append(listed, c)
			}
		}
		for _, c := range listed {
			add(c, node, "registry says it runs on [%s], no instance runs", strings.Join(reg[c].Nodes, ","))
		}
	}
	return SortViolations(vs)
}
