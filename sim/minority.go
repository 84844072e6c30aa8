package sim

import (
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// joinWindow is how long after its first boot a node counts as still
// joining: its join, the others' heartbeats that report it and their
// acknowledgements (core/quorum_members.go) take a few heartbeat
// intervals, DownAfter at most on a healthy link; twice that covers a
// lossy one.
func (sn *simNode) joinWindow() time.Duration { return 2 * sn.cfg.Timing.DownAfter }

// ambiguous reports whether sn's membership is the protocol's decision at
// this instant, which the minority judgement does not presume: a node
// that first booted less than its join window ago (it may not be a member
// yet), or one whose graceful leave is under way (its side may already
// count it out).
func (s *Sim) ambiguous(sn *simNode) bool {
	joining := sn.inc == 1 && s.now.Sub(sn.addedAt) < sn.joinWindow()
	return joining || (sn.up && sn.leaving)
}

// openMinorityWindows opens a window for every live node of a group that
// is a minority of the cluster's members whatever the undecided ones turn
// out to be. Members are the nodes not gone by a graceful leave, down ones
// included: a majority quorum counts a crashed member (it may come back,
// on the side of the cut it is on), so a group's down members count for
// it. A node whose membership is undecided (ambiguous) counts for its own
// group as a member and for the others as none; a member in no group
// keeps its links to every side, so it counts for every group. A group
// is a minority when it holds at most half of the members even so:
// 2·(e+a) ≤ E+a, with e the group's settled members, a its undecided ones
// and those in no group, E every settled member. Two sides that might
// both hold a majority are left to the linearizability check.
func (s *Sim) openMinorityWindows(groups [][]core.NodeID) {
	inGroup := map[core.NodeID]bool{}
	for _, g := range groups {
		for _, n := range g {
			inGroup[n] = true
		}
	}
	settled, floating := 0, 0
	for _, n := range s.names {
		sn := s.nodes[n]
		switch {
		case sn.left:
		case !inGroup[n]:
			floating++
		case !s.ambiguous(sn):
			settled++
		}
	}
	for _, g := range groups {
		e, a := 0, floating
		for _, n := range g {
			sn := s.nodes[n]
			switch {
			case sn == nil || sn.left:
			case s.ambiguous(sn):
				a++
			default:
				e++
			}
		}
		if 2*(e+a) > settled+a {
			continue
		}
		for _, n := range g {
			if s.Up(n) {
				s.minority = append(s.minority, checks.MinorityWindow{Node: string(n), Start: int64(s.now), End: -1})
			}
		}
	}
}
