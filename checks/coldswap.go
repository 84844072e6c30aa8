package checks

import (
	"fmt"
	"slices"
	"time"
)

// CheckColdSwapGap: under cold swap a child that moves while the cluster
// is healthy stops before it starts again (README: "the old holder stops
// first, the new one starts once the claim is gone"; at a leave "a gap,
// not an overlap").
const CheckColdSwapGap = "cold-swap-gap"

// Window is a span [Start, End) of virtual time.
type Window struct{ Start, End int64 }

// ColdSwapGap reports each pair of instances of one child (replication
// factor 1, cold swap, outside strict mode) that ran at once, where the
// later one started while the cluster was healthy: every member alive and
// connected, no partition, no message loss, no pause, and no such
// disturbance shortly before — at an instant inside no window of
// unhealthy. Only faults excuse an overlap there (divergence and quorum
// modes allow one while a node is cut off or wrongly suspected); a cold
// swap, a cordon or a graceful leave never does, whatever the old
// instance takes to exit (an instance runs until its ProcessEnd).
// Instances still running run until now. One violation per child (its first such overlap).
func ColdSwapGap(instances []Instance, unhealthy []Window, now int64) []Violation {
	byChild := map[string][]Instance{}
	for _, in := range instances {
		byChild[in.Child] = append(byChild[in.Child], in)
	}
	end := func(in Instance) int64 {
		if e := in.ProcessEnd(); e >= 0 {
			return e
		}
		return now
	}
	healthy := func(at int64) bool {
		for _, w := range unhealthy {
			if w.Start <= at && at < w.End {
				return false
			}
		}
		return true
	}
	var vs []Violation
	children := make([]string, 0, len(byChild))
	for c := range byChild {
		children = append(children, c)
	}
	slices.Sort(children)
	for _, c := range children {
		ins := byChild[c]
		slices.SortStableFunc(ins, func(a, b Instance) int {
			switch {
			case a.Start < b.Start:
				return -1
			case a.Start > b.Start:
				return 1
			}
			return 0
		})
	pairs:
		for j, later := range ins {
			for _, old := range ins[:j] {
				if later.Start >= end(old) || end(later) <= later.Start || !healthy(later.Start) {
					continue
				}
				over := min(end(old), end(later)) - later.Start
				vs = append(vs, Violation{Check: CheckColdSwapGap, Child: c, Node: later.Node, Detail: fmt.Sprintf(
					"instance %d started on %s at %v while instance %d on %s still ran (until %v, %v at once) in a healthy cluster",
					later.Instance, later.Node, time.Duration(later.Start), old.Instance, old.Node, time.Duration(end(old)), time.Duration(over))})
				break pairs
			}
		}
	}
	return vs
}
