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
// still joining (joining), or one whose graceful leave is under way (its
// side may already count it out).
func (s *Sim) ambiguous(sn *simNode) bool {
	return s.joining(sn) || (sn.up && sn.leaving)
}

// joining reports whether sn, in its first incarnation, may not be a
// member yet. A founder (booted with the simulation) is one once its join
// window has passed. A node that joined later is one once it has spent a
// whole join window up and linked both ways with a majority of the
// settled members (down ones counted as not linked): that is what the
// protocol needs to establish it (core/quorum_members.go: a majority of
// the established members report it alive), and what lets every side of
// a later cut hear of it. A joiner cut off from that majority — one that
// booted at the instant of a cut, or on the side of one that holds the
// crashed — stays undecided however long it is up (rapid seed 37678: two
// joiners that only ever reached each other were counted as members,
// and the side that held a majority of the five real members was judged
// a minority of seven).
func (s *Sim) joining(sn *simNode) bool {
	switch {
	case sn.inc != 1 || sn.member:
		return false
	case sn.addedAt == s.start:
		return s.now.Sub(sn.addedAt) < sn.joinWindow()
	}
	return true
}

// noteContacts tracks, at every change of the topology (a boot, a crash,
// a finished leave, a partition, a cut, a heal), which joining nodes are
// linked with a majority of the settled members: a joiner that has been
// so since its last contact began for a join window becomes a member
// first, then each joiner's contact starts now or ends. Between changes
// the links are fixed, so checking at each change sees every span.
func (s *Sim) noteContacts() {
	for _, n := range s.names {
		sn := s.nodes[n]
		if sn.inContact && s.now.Sub(sn.contactSince) >= sn.joinWindow() {
			sn.member = true
		}
	}
	for _, n := range s.names {
		sn := s.nodes[n]
		if sn.member || sn.inc != 1 || sn.addedAt == s.start {
			sn.inContact = false
			continue
		}
		linked := sn.up && s.linkedToMajority(sn)
		switch {
		case linked && !sn.inContact:
			sn.inContact, sn.contactSince = true, s.now
		case !linked:
			sn.inContact = false
		}
	}
}

// linkedToMajority reports whether sn is linked both ways with more than
// half of the settled members (not left, not joining), down ones counted
// as not linked.
func (s *Sim) linkedToMajority(sn *simNode) bool {
	settled, linked := 0, 0
	for _, n := range s.names {
		m := s.nodes[n]
		if m == sn || m.left || s.joining(m) {
			continue
		}
		settled++
		if m.up && s.Connected(sn.name, n) && s.Connected(n, sn.name) {
			linked++
		}
	}
	return 2*linked > settled
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
	s.noteContacts()
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
