package checks

import (
	"fmt"
	"slices"
)

// EpochsIncrease asserts the fencing-epoch order of every child's
// instances, over the whole run. For every pair of instances a, b of a
// child with known epochs (non-zero):
//
//   - if they ran on different nodes at disjoint times, a ending no later
//     than b started, then a.Epoch < b.Epoch;
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
				case disjoint && a.Node != b.Node && a.Epoch >= b.Epoch:
					vs = append(vs, Violation{Check: CheckEpochs, Child: child, Node: b.Node,
						Detail: fmt.Sprintf("instance %s started after %s ended, with epoch %d not above %d", b, a, b.Epoch, a.Epoch)})
				case !disjoint && a.Node == b.Node && a.Epoch == b.Epoch:
					vs = append(vs, Violation{Check: CheckEpochs, Child: child, Node: b.Node,
						Detail: fmt.Sprintf("overlapping instances %s and %s share epoch %d on one node", a, b, a.Epoch)})
				}
			}
		}
	}
	return SortViolations(vs)
}

// AcknowledgedEpochsIncrease asserts that the epochs a client is told
// never go back, over the whole history and across stops: for two
// successful operations a and b of one child with reported epochs, a
// returning before b was called, b.Epoch >= a.Epoch. A start after a
// stop is told an epoch above the tombstone's, also after the tombstone
// expired everywhere (core's epoch floor); an epoch told once is a
// fencing token the child may have used. (Instances may briefly run at
// an older epoch on a node with a stale view — fencing is for that — so
// this is asserted on the acknowledged history, where it holds in every
// class with a linearizable history.) O(n²) per child.
func AcknowledgedEpochsIncrease(h History) []Violation {
	by := map[string][]Op{}
	for _, op := range h.Ops {
		if op.Outcome == OutcomeOK && op.Epoch != 0 {
			by[op.Child] = append(by[op.Child], op)
		}
	}
	var vs []Violation
	for child, ops := range by {
		var worst *Violation
		for _, a := range ops {
			for _, b := range ops {
				if a.Return < b.Call && b.Epoch < a.Epoch && worst == nil {
					worst = &Violation{Check: CheckEpochs, Child: child, Node: b.Node,
						Detail: fmt.Sprintf("%s was told epoch %d after %s was told %d", b, b.Epoch, a, a.Epoch)}
				}
			}
		}
		if worst != nil {
			vs = append(vs, *worst)
		}
	}
	return SortViolations(vs)
}
