package sim

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/phub/phub/core"
)

// Starting children again after their tombstones expired: the idle
// stretch outlives every tombstone, so a child stopped before it is
// unknown to every registry afterwards. Starting it again must still give
// it an epoch above every epoch it held before (checks.EpochsIncrease,
// asserted in CheckRun over the whole run); core keeps an epoch floor for
// this (core/epochfloor.go).

// stoppedIDs lists the children some live registry holds a tombstone of,
// sorted.
func (s *Sim) stoppedIDs() []core.ChildID {
	seen := map[core.ChildID]bool{}
	var out []core.ChildID
	for _, n := range s.LiveNodes() {
		for _, id := range s.nodes[n].node.Tombstones(func(string) bool { return true }) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// restartExpired starts up to three of ids (stopped before the idle
// stretch, their tombstones expired since) from random live nodes, awaited,
// and runs for d. It counts CoverStartAfterExpiry for each that runs
// afterwards.
func (s *Sim) restartExpired(ids []core.ChildID, r *rand.Rand, d time.Duration) {
	live := s.LiveNodes()
	if len(ids) == 0 || len(live) == 0 || len(s.quorumLost()) > 0 {
		return
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	ids = ids[:min(3, len(ids))]
	begin := int64(s.now)
	for _, id := range ids {
		node := live[r.IntN(len(live))]
		s.Request(node, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}}, Start: core.StartOptions{Await: true, SkipCheckExisting: true}})
	}
	s.RunFor(d)
	for _, id := range ids {
		for _, in := range s.instances {
			if in.Child == string(id) && in.Start >= begin {
				s.cover(CoverStartAfterExpiry)
				break
			}
		}
	}
}
