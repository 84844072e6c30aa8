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

// joining reports whether sn first booted less than its join window ago:
// whether it is a member yet is the protocol's decision, which the
// minority judgement does not presume.
func (s *Sim) joining(sn *simNode) bool {
	return sn.inc == 1 && s.now.Sub(sn.addedAt) < sn.joinWindow()
}

// openMinorityWindows opens a window for every live node of a group that
// is a minority of the live nodes whatever the nodes still joining turn
// out to be: counting the group's joiners as members and every other
// joiner as none, the group holds at most half (2·(e+p) ≤ E+p, e and E
// the group's and the cluster's live settled nodes, p the group's
// joiners). A joiner cut off at the instant it booted may never have
// been heard of: a side that then holds a majority of the members it
// knows is a majority, and the check must not call it a minority. Two
// sides that might both hold a majority are left to the linearizability
// check.
func (s *Sim) openMinorityWindows(groups [][]core.NodeID) {
	settled := 0
	for _, n := range s.LiveNodes() {
		if !s.joining(s.nodes[n]) {
			settled++
		}
	}
	for _, g := range groups {
		e, p := 0, 0
		for _, n := range g {
			switch {
			case !s.Up(n):
			case s.joining(s.nodes[n]):
				p++
			default:
				e++
			}
		}
		if 2*(e+p) > settled+p {
			continue
		}
		for _, n := range g {
			if s.Up(n) {
				s.minority = append(s.minority, checks.MinorityWindow{Node: string(n), Start: int64(s.now), End: -1})
			}
		}
	}
}
