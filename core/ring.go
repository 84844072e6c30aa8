package core

import (
	"sort"
	"strconv"
)

// ring is a consistent-hash ring with virtual nodes. Positions come from a
// stable hash (FNV-1a 64 with a splitmix finalizer) of "node#i", so every
// node computes the same ring from the same member set.
type ring struct {
	vnodes int
	points []ringPoint
	nodes  []NodeID
}

type ringPoint struct {
	hash uint64
	node NodeID
}

func newRing(vnodes int) *ring { return &ring{vnodes: vnodes} }

// stableHash is the hash used for ring positions and child keys: FNV-1a
// 64 (computed inline, no allocation) with a splitmix64 finalizer.
func stableHash(s string) uint64 {
	z := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		z ^= uint64(s[i])
		z *= 1099511628211
	}
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// set rebuilds the ring for nodes (any order).
func (r *ring) set(nodes []NodeID) {
	ns := sortedNodes(append([]NodeID(nil), nodes...))
	r.nodes = ns
	r.points = r.points[:0]
	for _, n := range ns {
		for i := 0; i < r.vnodes; i++ {
			r.points = append(r.points, ringPoint{hash: stableHash(string(n) + "#" + strconv.Itoa(i)), node: n})
		}
	}
	sort.Slice(r.points, func(i, j int) bool {
		if r.points[i].hash != r.points[j].hash {
			return r.points[i].hash < r.points[j].hash
		}
		return r.points[i].node < r.points[j].node
	})
}

// first returns the first node clockwise from the hash of id ("" for an
// empty ring) without allocating.
func (r *ring) first(id ChildID) NodeID {
	if len(r.points) == 0 {
		return ""
	}
	h := stableHash(string(id))
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i].hash >= h })
	return r.points[i%len(r.points)].node
}

// successors appends to dst the first k distinct nodes clockwise from the
// hash of id. The result for k is a prefix of the result for any m > k.
func (r *ring) successors(dst []NodeID, id ChildID, k int) []NodeID {
	if len(r.points) == 0 || k <= 0 {
		return dst
	}
	if k > len(r.nodes) {
		k = len(r.nodes)
	}
	h := stableHash(string(id))
	i := sort.Search(len(r.points), func(i int) bool { return r.points[i].hash >= h })
	start := len(dst)
	for j := 0; j < len(r.points) && len(dst)-start < k; j++ {
		p := r.points[(i+j)%len(r.points)]
		dup := false
		for _, d := range dst[start:] {
			if d == p.node {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, p.node)
		}
	}
	return dst
}

// Ring is a read-only consistent-hash ring, the same one nodes use, for
// tools that need placements without a node (benchmarks, admin views).
type Ring struct{ r *ring }

// NewRing builds the ring of nodes with vnodes virtual nodes each.
func NewRing(vnodes int, nodes []NodeID) *Ring {
	r := newRing(vnodes)
	r.set(nodes)
	return &Ring{r: r}
}

// BelongsTo returns the first k distinct nodes clockwise from id's hash.
func (r *Ring) BelongsTo(id ChildID, k int) []NodeID { return r.r.successors(nil, id, k) }
