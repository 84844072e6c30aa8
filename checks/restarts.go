package checks

import "fmt"

// ChildCrash is one abnormal exit of a child instance on a node, and
// whether the node restarted the child in place.
type ChildCrash struct {
	Child       string
	Node        string
	Incarnation uint64
	// Epoch identifies the node's tenure of the child: a local restart
	// keeps the epoch, a new start (migration, stop and start) changes it.
	Epoch uint64
	// Policy is the child's restart policy name (permanent, transient,
	// temporary).
	Policy    string
	At        int64
	Restarted bool
	// Tenure tells apart successive local lives of the child on the node
	// at one epoch (stopped and started again, e.g. cordoned away and
	// back): restart counts start afresh with each.
	Tenure uint64
}

// Restarts checks restart accounting against the documented restart
// policy: a temporary child is never restarted; a permanent or transient
// child that crashes is restarted in place unless it was already
// restarted maxRestarts times within the window before the crash, in
// which case it is given up. Crashes are grouped per node, incarnation,
// child and epoch (one tenure of the child on the node).
func Restarts(crashes []ChildCrash, maxRestarts int, window int64) []Violation {
	type key struct {
		child, node        string
		inc, epoch, tenure uint64
	}
	groups := map[key][]ChildCrash{}
	var keys []key
	for _, c := range crashes {
		k := key{c.Child, c.Node, c.Incarnation, c.Epoch, c.Tenure}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
	}
	var vs []Violation
	for _, k := range keys {
		var restarts []int64
		for _, c := range groups[k] {
			want := c.Policy != "temporary"
			if want {
				recent := 0
				for _, t := range restarts {
					if t > c.At-window {
						recent++
					}
				}
				want = recent < maxRestarts
			}
			if want != c.Restarted {
				vs = append(vs, Violation{Check: CheckRestarts, Child: c.Child, Node: c.Node,
					Detail: fmt.Sprintf("%s child crashed at %d after restarts at %v (max %d in %dns): restarted=%v, want %v", c.Policy, c.At, restarts, maxRestarts, window, c.Restarted, want)})
				break // later crashes of this tenure follow from the first difference
			}
			if c.Restarted {
				restarts = append(restarts, c.At)
			} else {
				break // given up: the tenure ended
			}
		}
	}
	return SortViolations(vs)
}
