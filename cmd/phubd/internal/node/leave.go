package node

import (
	"context"
	"sort"

	"github.com/phub/phub/core"
)

// LeaveReport says what a graceful leave did with the node's children.
type LeaveReport struct {
	// Children is the number of children running here when the leave
	// began; Kinds counts them per kind.
	Children int
	Kinds    map[string]int
	// Peers lists the other members alive when the leave began.
	Peers []core.NodeID
	// HandedOver is true when the children's state went to their new
	// nodes (hot swap with handover); false means they were stopped and
	// the peers start them fresh.
	HandedOver bool
	// Err is the hub's error if the leave did not finish in time.
	Err error
}

// Outcome says in words what happened to the children.
func (r LeaveReport) Outcome() string {
	switch {
	case r.Children == 0:
		return "no children to move"
	case len(r.Peers) == 0:
		return "stopped: no other node is alive, they run nowhere until a node of the cluster runs again"
	case r.HandedOver:
		return "handed over with their state to the other nodes"
	default:
		return "stopped here; the other nodes start them"
	}
}

// Leave leaves the cluster gracefully like Close and reports what
// happened to the node's children.
func (n *Node) Leave(ctx context.Context) LeaveReport {
	local := n.Hub.WhichChildrenLocal()
	rep := LeaveReport{Children: len(local.Children), Kinds: map[string]int{}}
	for _, c := range local.Children {
		rep.Kinds[c.Kind]++
	}
	for _, m := range n.Hub.Members() {
		if m.Name != n.Hub.Name() && m.Status == core.StatusAlive {
			rep.Peers = append(rep.Peers, m.Name)
		}
	}
	sort.Slice(rep.Peers, func(i, j int) bool { return rep.Peers[i] < rep.Peers[j] })
	rep.Err = n.Close(ctx)
	rep.HandedOver = rep.Err == nil && len(rep.Peers) > 0 && n.migration.Kind == core.HotSwap && n.migration.Handover
	return rep
}
