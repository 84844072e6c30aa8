package core

import "slices"

// RingPoint is one virtual node of a Ring: its position (hash) and the
// node it belongs to.
type RingPoint struct {
	Hash uint64
	Node NodeID
}

// Position returns id's position on the ring: the stable hash from which
// placement walks clockwise to the first distinct nodes.
func (r *Ring) Position(id ChildID) uint64 { return stableHash(string(id)) }

// Points returns every virtual node of the ring in clockwise order
// (ascending hash), as every node computes it from the same members.
func (r *Ring) Points() []RingPoint {
	out := make([]RingPoint, len(r.r.points))
	for i, p := range r.r.points {
		out[i] = RingPoint{Hash: p.hash, Node: p.node}
	}
	return out
}

// setSorted is set for nodes already sorted and free of duplicates, which
// the ring keeps without a copy: the caller must never modify them (the
// view is replaced, never changed in place: membership.recompute). It
// costs a comparison with the current nodes instead of a copy and a sort.
func (r *ring) setSorted(nodes []NodeID) {
	if !slices.Equal(nodes, r.nodes) {
		r.nodes = nodes
	}
}

// setRingFromView makes the ring's nodes the placeable members of the
// view. While no member is cordoned every member of the view is
// placeable, and the view is taken as it is (no lookup per member). The
// fast path comes back once no member of the table holds a cordon flag
// any more (the last uncordon, or the last cordoned member restarted or
// forgotten): clearCordonedIfNone.
func (n *Node) setRingFromView() {
	n.members.clearCordonedIfNone() // cordon.go
	if !n.members.anyCordoned {
		n.ring.setSorted(n.members.view)
		return
	}
	n.ring.set(n.placeable(n.members.view))
}
