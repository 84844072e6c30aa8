package core

import "slices"

// The requester's split of a request by owner. A request of n children
// for k owners costs one owner lookup per child and no map operation per
// child: the owners are numbered in a short list (ownerIndex), counted in
// a first pass, and each group's slices are made at their final size in
// the second, so no group grows by doubling (TestRouteAllocations).

// linearOwners is how many owners ownerIndex finds by scanning its list;
// past it, a map numbers them (a request spread over a large cluster).
const linearOwners = 8

// ownerIndex numbers the owners of a request's children in the order
// they are first seen.
type ownerIndex struct {
	owners []NodeID
	byName map[NodeID]int // nil while owners has at most linearOwners
	counts []int          // children per owner
}

// add counts one child of owner o and returns o's number.
func (x *ownerIndex) add(o NodeID) int {
	k := x.find(o)
	x.counts[k]++
	return k
}

func (x *ownerIndex) find(o NodeID) int {
	if x.byName == nil {
		for k, name := range x.owners {
			if name == o {
				return k
			}
		}
		if len(x.owners) < linearOwners {
			x.owners = append(x.owners, o)
			x.counts = append(x.counts, 0)
			return len(x.owners) - 1
		}
		x.byName = make(map[NodeID]int, 2*linearOwners)
		for k, name := range x.owners {
			x.byName[name] = k
		}
	}
	k, ok := x.byName[o]
	if !ok {
		k = len(x.owners)
		x.owners = append(x.owners, o)
		x.counts = append(x.counts, 0)
		x.byName[o] = k
	}
	return k
}

// groups returns one sub-request per owner, numbered as x numbers them,
// with room for exactly its children: idx always, ids or items (start)
// as the op carries.
func (x *ownerIndex) groups(p *pendingReq, op Op, check bool) []*subReq {
	gs := make([]*subReq, len(x.owners))
	subs := make([]subReq, len(x.owners))
	for k, o := range x.owners {
		g := &subs[k]
		*g = subReq{parent: p, owner: o, op: op, check: check, idx: make([]int, 0, x.counts[k])}
		if op == OpStart {
			g.items = make([]StartItem, 0, x.counts[k])
		} else {
			g.ids = make([]ChildID, 0, x.counts[k])
		}
		gs[k] = g
	}
	return gs
}

// byOwner sorts groups by owner name: the order dispatch numbers and
// sends them in.
func byOwner(gs []*subReq) []*subReq {
	slices.SortFunc(gs, func(a, b *subReq) int {
		switch {
		case a.owner < b.owner:
			return -1
		case a.owner > b.owner:
			return 1
		}
		return 0
	})
	return gs
}
