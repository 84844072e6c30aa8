package admin

import (
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/phub/phub/core"
)

// preference returns every node of view in the ring order of id: the
// consistent-hashing preference list, whose first k nodes are the
// placement of a child with replication factor k.
//
// It mirrors core's ring (FNV-1a 64 with a splitmix finalizer over
// "node#i" for each virtual node) because phub.Hub exposes only the
// placement prefix; TestPreferenceMatchesHubPlacement fails if the two
// drift apart. A Hub.BelongsTo(id, k) in the runtime would remove it.
func preference(view []core.NodeID, vnodes int, id core.ChildID) []core.NodeID {
	type point struct {
		hash uint64
		node core.NodeID
	}
	points := make([]point, 0, len(view)*vnodes)
	for _, n := range view {
		for i := 0; i < vnodes; i++ {
			points = append(points, point{stableHash(string(n) + "#" + strconv.Itoa(i)), n})
		}
	}
	sort.Slice(points, func(i, j int) bool {
		if points[i].hash != points[j].hash {
			return points[i].hash < points[j].hash
		}
		return points[i].node < points[j].node
	})
	if len(points) == 0 {
		return nil
	}
	h := stableHash(string(id))
	start := sort.Search(len(points), func(i int) bool { return points[i].hash >= h })
	seen := map[core.NodeID]bool{}
	var out []core.NodeID
	for j := 0; j < len(points) && len(out) < len(view); j++ {
		p := points[(start+j)%len(points)]
		if !seen[p.node] {
			seen[p.node] = true
			out = append(out, p.node)
		}
	}
	return out
}

func stableHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	z := h.Sum64()
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
