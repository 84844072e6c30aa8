package sim

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/phub/phub/checks"
)

// epochsNotBelowAcknowledged asserts that epochs only grow across
// crashes, full-cluster restarts included: every live node's registry
// version of a child (tombstones included) has an epoch at least as high
// as every epoch a client was told for it (an acknowledged start or
// lookup) since the last stop asked for it. A registry that lost its
// state and started the child afresh at epoch 1 fails it. Only epochs
// since the child's last stop count: once the tombstone is collected
// after its TTL a new start may begin again at epoch 1, which the
// linearizability model allows too.
func (s *Sim) epochsNotBelowAcknowledged() []checks.Violation {
	ops := slices.Clone(s.history.Ops)
	slices.SortStableFunc(ops, func(a, b checks.Op) int { return cmp.Compare(a.Call, b.Call) })
	acked := map[string]uint64{}
	for _, op := range ops {
		switch {
		case op.Kind == checks.OpStop:
			delete(acked, op.Child) // whatever its outcome
		case op.Outcome == checks.OutcomeOK && op.Epoch > acked[op.Child]:
			acked[op.Child] = op.Epoch
		}
	}
	var vs []checks.Violation
	for _, n := range s.LiveNodes() {
		for _, e := range s.nodes[n].node.List() {
			if want := acked[string(e.Spec.ID)]; e.Epoch < want {
				vs = append(vs, checks.Violation{Check: checks.CheckEpochs, Child: string(e.Spec.ID), Node: string(n),
					Detail: fmt.Sprintf("registry version at epoch %d (stopped=%v) below the acknowledged epoch %d", e.Epoch, e.Stopped, want)})
			}
		}
	}
	return checks.SortViolations(vs)
}
