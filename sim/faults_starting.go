package sim

import (
	"math/rand/v2"
	"time"

	"github.com/phub/phub/core"
)

// Child faults while a start is in flight. A child's start is where a
// handover, a migration or a takeover waits on an instance that does not
// run yet: session 12's hot-swap bug (8e5c14d: a handover given to an
// instance that exited before it ran was taken as a duplicate when
// retransmitted, so its state reached no running instance) hid there,
// because the child-crash faults (scheduleFaults) crash children at
// random instants, almost always long after they ran. These sites crash
// or fail children at the moments that matter:
//
//   - SiteCrashBeforeRun: an instance given a handed-over state (delivered
//     to it, or taken from the stash at its start) exits before it
//     reports running;
//   - SiteMovedStartFails: the start of a child that ran on another node
//     before (a migration, a hot swap, a cordon's drain, a
//     redistribution, a takeover after a crash) fails, or the instance
//     exits before it runs, or right after it ran.
//
// Their draws come from a stream of their own (startFaults.rng), so a
// seed where they never fire keeps its trace; where they fire the trace
// has a "buggify SITE" line. startFaultOdds decides which seeds enable
// them.
const (
	// SiteCrashBeforeRun crashes an instance that was given a handed-over
	// state before it runs.
	SiteCrashBeforeRun = "crash-before-run"
	// SiteMovedStartFails fails or crashes a child starting on a node
	// other than the one it last started on.
	SiteMovedStartFails = "moved-start-fails"
)

// startFaults is a simulation's state for the sites above.
type startFaults struct {
	rng *rand.Rand
	// lastNode is the node each child last started on.
	lastNode map[core.ChildID]core.NodeID
}

// movedStartFate is what SiteMovedStartFails does to a start.
type movedStartFate int

const (
	fateRuns           movedStartFate = iota // no fault
	fateFailsStart                           // reports ChildStartFailed
	fateCrashBeforeRun                       // exits before it runs
	fateCrashAfterRun                        // exits right after it ran
)

// startFaultOdds returns the odds of SiteCrashBeforeRun and
// SiteMovedStartFails for a sweep seed: the child-crash and mix classes
// and every hot-swap seed (the strategy whose handover waits on a
// start) outside the durable class draw them in three seeds of four,
// from a stream of their own, so the other draws stay as they were.
func startFaultOdds(class Class, setup Setup) (crashBeforeRun, movedFails float64) {
	hot := setup.Strategy == "singularity-hot" && class != ClassDurable
	if class != ClassChildCrash && class != ClassMix && !hot {
		return 0, 0
	}
	r := rand.New(rand.NewPCG(setup.Seed, 0xc4a5bef0))
	if r.IntN(4) == 0 {
		return 0, 0
	}
	return 0.3 + 0.5*r.Float64(), 0.05 + 0.25*r.Float64()
}

// fireStartFault is fire for the sites above, drawing from their own
// stream.
func (s *Sim) fireStartFault(site string) bool {
	p := s.buggify[site]
	if p <= 0 {
		return false
	}
	if s.startFaults.rng == nil {
		s.startFaults.rng = rand.New(rand.NewPCG(s.opts.Seed, 0x57a2f417))
	}
	if s.startFaults.rng.Float64() >= p {
		return false
	}
	s.hits[site]++
	s.tracef(TraceEvent{Kind: "buggify"}, "%s", site)
	return true
}

// movedStart records that id starts on sn now and returns what
// SiteMovedStartFails does to the start: a fault only for a child that
// last started on another node, and not for a restart in place after a
// crash (CrashChild's batch: its crash accounting expects the restart
// to exist).
func (s *Sim) movedStart(sn *simNode, id core.ChildID) movedStartFate {
	if s.startFaults.lastNode == nil {
		s.startFaults.lastNode = map[core.ChildID]core.NodeID{}
	}
	prev := s.startFaults.lastNode[id]
	s.startFaults.lastNode[id] = sn.name
	if prev == "" || prev == sn.name || s.restarting != 0 || !s.fireStartFault(SiteMovedStartFails) {
		return fateRuns
	}
	fate := movedStartFate(1 + s.startFaults.rng.IntN(3))
	if fate == fateFailsStart {
		s.cover(CoverMovedStartFailed)
	}
	return fate
}

// crashStarting crashes sn's instance of id at d from now if it is still
// that instance on the same incarnation and has run (ran) or has not run
// yet (!ran); otherwise the fault does nothing.
func (s *Sim) crashStarting(sn *simNode, id core.ChildID, instance uint64, d time.Duration, ran bool) {
	inc := sn.inc
	s.after(d, func() {
		c := sn.children[id]
		if !sn.up || sn.inc != inc || c == nil || c.instance != instance || (c.truth.Ran != 0) != ran {
			return
		}
		given := len(c.truth.Given) > 0
		if s.CrashChild(sn.name, id) && !ran && given {
			s.cover(CoverGivenStateCrashedBeforeRun)
		}
	})
}
