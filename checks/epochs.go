package checks

import (
	"fmt"
	"slices"
)

// EpochsIncrease asserts the fencing-epoch order of every child's
// instances, over the whole run. For every pair of instances a, b of a
// child with known epochs (non-zero):
//
//   - if a ended no later than b started, a.Epoch <= b.Epoch: epochs
//     never go back, not even after the child was stopped and its
//     tombstone expired (a start after a stop is above the tombstone's
//     epoch, which is above the stopped instance's). Equal epochs are
//     allowed: a restart in place, a migration and a moving replica keep
//     the entry's epoch;
//   - if they overlapped in time (hot-swap handover, replicas), they differ
//     in (Epoch, Node): no node runs two instances with the same epoch at
//     once.
//
// Instances still running (End < 0) are open-ended. A child with n
// instances costs O(n²).
func EpochsIncrease(instances []Instance) []Violation {
	by := make(map[string][]Instance)
	for _, in := range instances {
		if in.Epoch != 0 {
			by[in.Child] = append(by[in.Child], in)
		}
	}
	var vs []Violation
	for child, ins := range by {
		slices.SortFunc(ins, func(a, b Instance) int {
			if a.Start != b.Start {
				if a.Start < b.Start {
					return -1
				}
				return 1
			}
			return compareInstances(a, b)
		})
		for i, a := range ins {
			for _, b := range ins[i+1:] {
				// a.Start <= b.Start
				disjoint := a.End >= 0 && a.End <= b.Start
				switch {
				case disjoint && a.Epoch > b.Epoch:
					vs = append(vs, Violation{Check: CheckEpochs, Child: child, Node: b.Node,
						Detail: fmt.Sprintf("instance %s started after %s ended, with its epoch %d below %d", b, a, b.Epoch, a.Epoch)})
				case !disjoint && a.Node == b.Node && a.Epoch == b.Epoch:
					vs = append(vs, Violation{Check: CheckEpochs, Child: child, Node: b.Node,
						Detail: fmt.Sprintf("overlapping instances %s and %s share epoch %d on one node", a, b, a.Epoch)})
				}
			}
		}
	}
	return SortViolations(vs)
}
