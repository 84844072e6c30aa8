package core

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
