package sim

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/phub/phub/core"
)

// scheduleDurableFault draws one fault of the durable class at t0: a
// full-cluster crash (every node at once, restarted one by one up to dur
// apart, so a node comes back alone first), a single crash, or — with
// Setup.DiskFaults — a storage fault: a full disk for dur, or a crash
// after which the node's disk reads back as unreadable or corrupt.
//
// A disk is only lost (read error, corruption) while every other node is
// up: the others hold every acknowledged version (owners replicate to
// every alive peer before acknowledging), which is what recovering "from
// peers" needs. Losing every copy at once is not a fault the durable mode
// survives, and the sweep does not pretend it is.
func (s *Sim) scheduleDurableFault(setup Setup, r *rand.Rand, t0, dur time.Duration) {
	kind := r.IntN(4)
	if !setup.DiskFaults {
		kind = r.IntN(2)
	}
	stagger := make([]time.Duration, 8)
	for i := range stagger {
		stagger[i] = time.Duration(r.Int64N(int64(dur)))
	}
	corrupt := r.IntN(2) == 0
	s.after(t0, func() {
		live := s.LiveNodes()
		if len(live) == 0 {
			return
		}
		switch kind {
		case 0: // every node at once
			if len(live) < len(s.names)-s.leftCount() {
				return // some node is down already: wait for a whole cluster
			}
			s.tracef(TraceEvent{Kind: "full-cluster"}, "crash")
			s.cover(CoverFullClusterCrash)
			for i, n := range live {
				s.Crash(n)
				name := n
				s.after(dur+stagger[i%len(stagger)], func() {
					if !s.Up(name) {
						s.Restart(name)
					}
				})
			}
		case 1: // one node
			n := live[r.IntN(len(live))]
			s.Crash(n)
			s.after(dur, func() {
				if !s.Up(n) {
					s.Restart(n)
				}
			})
		case 2: // a full disk
			s.fillDisk(live[r.IntN(len(live))], dur)
		case 3: // a lost disk: read error or corrupted page at the next boot
			n := live[r.IntN(len(live))]
			if len(live) != len(s.names)-s.leftCount() || len(live) < 2 {
				return
			}
			s.Crash(n)
			sn := s.nodes[n]
			if corrupt {
				sn.disk.corrupt = true
			} else {
				sn.disk.readError = true
			}
			s.tracef(TraceEvent{Kind: "disk", Node: string(n)}, "%s: armed %s for the next boot", n, map[bool]string{true: "corruption", false: "read error"}[corrupt])
			s.after(dur, func() {
				if !s.Up(n) {
					s.Restart(n)
				}
			})
		}
	})
}

// leftCount is how many nodes left gracefully (they do not come back).
func (s *Sim) leftCount() int {
	k := 0
	for _, n := range s.names {
		if s.leftGracefully(n) {
			k++
		}
	}
	return k
}

// fullRestartAfterIdle crashes every live node of a durable run at once,
// after the idle stretch collected the tombstones and raised the epoch
// floors, and restarts them one by one (DownAfter/2 apart) from their
// intact disks. The quiescent checks that follow assert nothing
// acknowledged was lost, and the children restartExpired then starts
// again must get epochs above those they held before the stretch
// (checks.AcknowledgedEpochsIncrease): their tombstones are gone from
// every disk, so only the persisted epoch floor keeps epochs growing.
func (s *Sim) fullRestartAfterIdle() {
	live := s.LiveNodes()
	if len(live) == 0 || len(s.quorumLost()) > 0 {
		return
	}
	s.tracef(TraceEvent{Kind: "full-cluster"}, "crash after the idle stretch")
	s.cover(CoverFullClusterCrash)
	for _, n := range live {
		s.Crash(n)
	}
	gap := time.Second
	if p := s.opts.Profile; p != nil {
		gap = max(gap, p.Timing.DownAfter/2)
	}
	for _, n := range live {
		s.RunFor(gap)
		if !s.Up(n) {
			s.Restart(n)
		}
	}
}

// awayPastTTL runs the durable class's outage of a node away longer than
// the tombstone TTL but shorter than ForgetDownAfter: with away crashed,
// up to three children its disk holds as running are stopped from a live
// node; the cluster idles until their tombstones expired (TTL plus two
// anti-entropy rounds), then away comes back from its disk with their
// older live versions and the cluster settles. No stopped child may run
// again (the quiescent checks after the idle stretch, NoResurrectionEver):
// the others hold the tombstones while away is down (core/tombstone_gc.go).
// Profiles whose TTL plus two rounds does not end a DownAfter before
// ForgetDownAfter (lazy-sync) have no such window and skip it. It reports
// whether it ran (away is up again then).
func (s *Sim) awayPastTTL(away core.NodeID, prof Profile, quiet time.Duration) bool {
	t := prof.Timing
	back := t.TombstoneTTL + 2*prof.SyncInterval
	sn := s.nodes[away]
	live := s.LiveNodes()
	if sn == nil || sn.disk == nil || s.Up(away) || len(live) == 0 || back+t.DownAfter >= t.ForgetDownAfter {
		return false
	}
	var ids []core.ChildID
	for _, id := range sortedIDs(sn.disk.synced.Entries) {
		if e := sn.disk.synced.Entries[id]; !e.Stopped && len(ids) < 3 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return false
	}
	s.tracef(TraceEvent{Kind: "disk", Node: string(away)}, "%s away past the tombstone TTL: stopping %v meanwhile", away, ids)
	if _, err := s.Request(live[0], core.Request{Op: core.OpStop, IDs: ids, Stop: core.StopOptions{Await: true}}); err != nil {
		return false
	}
	s.RunFor(t.RequestTimeout)
	s.FastForward(back, prof.idleTick())
	s.Restart(away)
	s.cover(CoverAwayPastTTL)
	s.quiesce(quiet)
	return true
}

// sortedIDs returns the keys of a snapshot's entries, sorted.
func sortedIDs(m map[core.ChildID]core.Entry) []core.ChildID {
	out := make([]core.ChildID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
