package admin

import "github.com/phub/phub/core"

// preference returns every node of view in the ring order of id: the
// consistent-hashing preference list, whose first k nodes are the
// placement of a child with replication factor k. It uses core's ring, so
// it is the list every node computes from the same view.
func preference(view []core.NodeID, vnodes int, id core.ChildID) []core.NodeID {
	return core.NewRing(vnodes, view).BelongsTo(id, len(view))
}
