package core

import (
	"cmp"
	"slices"
	"strconv"
)

// ring is a consistent-hash ring with virtual nodes. Positions come from a
// stable hash (FNV-1a 64 with a splitmix finalizer) of "node#i", so every
// node computes the same ring from the same member set.
type ring struct {
	vnodes int
	points []ringPoint
	nodes  []NodeID
	// built are the nodes whose points points holds: set only records
	// nodes, and the points follow at the first read (build), so a burst
	// of view changes with no placement asked in between (a node joining
	// a large cluster learns its members one by one) costs one rebuild.
	built []NodeID
	// index maps the top indexBits bits of a hash to the first point at
	// or after the start of that range (buildIndex), so
	// search scans about one point instead of a binary search's
	// unpredictable branches. Rebuilt with the points, never mutated in
	// place: a copy of the ring is a snapshot (placement.go).
	index     []uint32
	indexBits uint
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

// set makes nodes (any order) the ring's nodes; their points are built
// at the next read (build).
func (r *ring) set(nodes []NodeID) {
	ns := sortedNodes(append([]NodeID(nil), nodes...))
	if !slices.Equal(ns, r.nodes) {
		r.nodes = ns
	}
}

// build brings the points up to the nodes. A change of a few nodes costs
// O(points): the points of departed nodes are filtered out and the sorted
// points of each new node merged in, which yields exactly the order of a
// full sort (points are totally ordered by hash, then node). The joins
// and departures come from one walk of the two sorted node lists.
func (r *ring) build() {
	ns := r.nodes
	if sameSlice(ns, r.built) && len(r.points) == len(ns)*r.vnodes {
		return // the usual case, without comparing names: placement asks per child
	}
	if slices.Equal(ns, r.built) && len(r.points) == len(ns)*r.vnodes {
		return
	}
	added, removed := diffSortedNodes(r.built, ns)
	r.built = ns
	if len(added) > 4 || len(removed) > 4 || len(r.points) != (len(ns)-len(added)+len(removed))*r.vnodes {
		r.points = r.points[:0:0]
		for _, n := range ns {
			r.points = r.appendNodePoints(r.points, n)
		}
		slices.SortFunc(r.points, compareRingPoints)
		r.buildIndex()
		return
	}
	pts := r.points
	if len(removed) > 0 {
		pts = make([]ringPoint, 0, len(ns)*r.vnodes)
		for _, p := range r.points {
			if !slices.Contains(removed, p.node) {
				pts = append(pts, p)
			}
		}
	}
	for _, n := range added {
		own := r.appendNodePoints(nil, n)
		slices.SortFunc(own, compareRingPoints)
		pts = mergeRingPoints(make([]ringPoint, 0, len(ns)*r.vnodes), pts, own)
	}
	r.points = pts
	r.buildIndex()
}

// sameSlice reports whether a and b are the same slice (same length and
// first element): node lists are replaced, never changed in place
// (set, setSorted), so the same slice holds the same nodes.
func sameSlice(a, b []NodeID) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// diffSortedNodes returns the nodes of now not in was (added) and of was
// not in now (removed); both lists are sorted and free of duplicates.
func diffSortedNodes(was, now []NodeID) (added, removed []NodeID) {
	i, j := 0, 0
	for i < len(was) || j < len(now) {
		switch {
		case j == len(now) || (i < len(was) && was[i] < now[j]):
			removed = append(removed, was[i])
			i++
		case i == len(was) || now[j] < was[i]:
			added = append(added, now[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

func (r *ring) appendNodePoints(dst []ringPoint, n NodeID) []ringPoint {
	for i := 0; i < r.vnodes; i++ {
		dst = append(dst, ringPoint{hash: stableHash(string(n) + "#" + strconv.Itoa(i)), node: n})
	}
	return dst
}

func compareRingPoints(a, b ringPoint) int {
	if a.hash != b.hash {
		return cmp.Compare(a.hash, b.hash)
	}
	return cmp.Compare(a.node, b.node)
}

// mergeRingPoints appends the merge of the sorted slices a and b to dst.
func mergeRingPoints(dst, a, b []ringPoint) []ringPoint {
	for len(a) > 0 && len(b) > 0 {
		if compareRingPoints(b[0], a[0]) < 0 {
			dst, b = append(dst, b[0]), b[1:]
		} else {
			dst, a = append(dst, a[0]), a[1:]
		}
	}
	return append(append(dst, a...), b...)
}

// first returns the first node clockwise from the hash of id ("" for an
// empty ring) without allocating.
func (r *ring) first(id ChildID) NodeID {
	r.build()
	if len(r.points) == 0 {
		return ""
	}
	return r.points[r.search(stableHash(string(id)))].node
}

// search returns the index of the first point clockwise from hash h: the
// first whose hash is at least h, wrapping to 0 past the last. The ring
// must have points. The index names the first point of h's range; the
// scan from there passes about one point (ranges are at least as many
// as points) and finds what a binary search over all points finds.
// (A binary search's branches were most of successors' cost, which was
// 9% of BenchmarkSim5Nodes1000Children60s: reconcile asks a placement
// per child at every view change and every anti-entropy round.)
func (r *ring) search(h uint64) int {
	pts := r.points
	i := int(r.index[h>>(64-r.indexBits)])
	for i < len(pts) && pts[i].hash < h {
		i++
	}
	if i == len(pts) {
		return 0
	}
	return i
}

// maxRingIndexBits bounds the index at 2^16 ranges (256 KiB): 200 nodes
// of 128 virtual nodes are 25,600 points, within it.
const maxRingIndexBits = 16

// buildIndex rebuilds the index for the current points: 2^b ranges for
// the smallest b with 2^b >= len(points) (at least 1, at most
// maxRingIndexBits), each holding the first point whose hash is at least
// the range's lowest hash (len(points) when there is none). Its memory is
// 4 bytes per range: under 8 bytes per point, nothing per child.
func (r *ring) buildIndex() {
	b := uint(1)
	for b < maxRingIndexBits && 1<<b < len(r.points) {
		b++
	}
	idx := make([]uint32, 1<<b)
	i := 0
	for j := range idx {
		lo := uint64(j) << (64 - b)
		for i < len(r.points) && r.points[i].hash < lo {
			i++
		}
		idx[j] = uint32(i)
	}
	r.index, r.indexBits = idx, b
}

// successors appends to dst the first k distinct nodes clockwise from the
// hash of id. The result for k is a prefix of the result for any m > k.
func (r *ring) successors(dst []NodeID, id ChildID, k int) []NodeID {
	r.build()
	if len(r.points) == 0 || k <= 0 {
		return dst
	}
	if k > len(r.nodes) {
		k = len(r.nodes)
	}
	i := r.search(stableHash(string(id)))
	start := len(dst)
	for j := 0; j < len(r.points) && len(dst)-start < k; j++ {
		p := r.points[i]
		if i++; i == len(r.points) {
			i = 0
		}
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
	r.build() // reads never write: a Ring may be shared by goroutines
	return &Ring{r: r}
}

// BelongsTo returns the first k distinct nodes clockwise from id's hash.
func (r *Ring) BelongsTo(id ChildID, k int) []NodeID { return r.r.successors(nil, id, k) }
