package checks

import (
	"fmt"
	"slices"
	"strings"
)

// Replication asserts, at t.Now (meant for quiescence), that every child
// with a running instance runs on exactly t.Replicas() distinct nodes, one
// instance per node, and — when t.Placement is set — on exactly the nodes
// t.Placement(child, t.Replicas()) names, all of them live. In
// active/passive mode it also asserts exactly one active running replica.
// Children that run nowhere are NoLostChildren's concern.
func Replication(t Truth) []Violation {
	want := t.Replicas()
	live := make(map[string]bool, len(t.LiveNodes))
	for _, n := range t.LiveNodes {
		live[n] = true
	}
	by, children := t.running()
	var vs []Violation
	add := func(child, node, format string, args ...any) {
		vs = append(vs, Violation{Check: CheckReplication, Child: child, Node: node, Detail: fmt.Sprintf(format, args...)})
	}
	for _, c := range children {
		ins := by[c]
		nodes := nodesOf(ins)
		if len(nodes) != len(ins) {
			add(c, "", "several instances on one node: %s", listInstances(ins))
		}
		for _, n := range nodes {
			if !live[n] {
				add(c, n, "runs on a node that is not live at %d", t.Now)
			}
		}
		if t.Placement != nil {
			place := slices.Clone(t.Placement(c, want))
			slices.Sort(place)
			if !slices.Equal(place, nodes) {
				add(c, "", "runs on [%s], placement is [%s] (factor %d, %d live nodes)",
					strings.Join(nodes, ","), strings.Join(place, ","), t.Factor, len(t.LiveNodes))
			}
		} else if len(nodes) != want {
			add(c, "", "runs on %d nodes [%s], want %d", len(nodes), strings.Join(nodes, ","), want)
		}
		if t.ActivePassive {
			active := 0
			for _, in := range ins {
				if in.Active {
					active++
				}
			}
			if active != 1 {
				add(c, "", "%d active replicas, want exactly 1: %s", active, listInstances(ins))
			}
		}
	}
	return SortViolations(vs)
}
