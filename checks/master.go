package checks

import (
	"fmt"
	"slices"
)

// Master is ProcessHub's active_passive master of a child: the sum of
// the id's code points modulo the number of placement nodes, indexing
// the sorted placement.
func Master(child string, placement []string) string {
	if len(placement) == 0 {
		return ""
	}
	p := slices.Clone(placement)
	slices.Sort(p)
	sum := 0
	for _, c := range child {
		sum += int(c)
	}
	return p[sum%len(p)]
}

// MasterRule asserts, at quiescence in active/passive mode, the master
// rule and the redundancy signals: the one active running replica of
// each child is the instance on its master node (by the placement over
// the live nodes), and every other replica was last signalled passive.
// Instance.Active is the child's own belief (its start flag, then the
// last signal it received), so this checks what the children were told.
func MasterRule(t Truth) []Violation {
	if !t.ActivePassive || t.Placement == nil {
		return nil
	}
	by, children := t.running()
	var vs []Violation
	for _, c := range children {
		m := Master(c, t.Placement(c, t.Replicas()))
		for _, in := range by[c] {
			if in.Active != (in.Node == m) {
				vs = append(vs, Violation{Check: CheckMasterRule, Child: c, Node: in.Node,
					Detail: fmt.Sprintf("replica active=%v, but the master is %s: %s", in.Active, m, listInstances(by[c]))})
			}
		}
	}
	return SortViolations(vs)
}
