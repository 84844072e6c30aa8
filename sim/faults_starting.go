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
//     exits before it runs, or right after it ran;
//   - SiteCrashDuringHandover: a node that handed a child's state over
//     crashes while the state is in flight (once per seed; hot-swap seeds
//     of the crash and mix classes), so the receiver's takeover waits for
//     a holder that is gone;
//   - SiteCrashReceiverGiven: a node whose instance, not yet running, was
//     just given a handed-over state (delivered, or taken from the stash
//     at its start) crashes (once per seed; hot-swap seeds of the crash
//     and mix classes), so the old holder waits on a receiver that is
//     gone. Its draws come from a stream of its own (receiverCrash).
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
	// SiteCrashDuringHandover crashes a node (once per seed) while a
	// hot-swap handover it sends is in flight: once the state left it
	// (its instance's state report taken in). The node restarts after
	// 0.5-2 s times the profile's scale.
	SiteCrashDuringHandover = "crash-during-handover"
	// SiteCrashReceiverGiven crashes a node (once per seed) right after
	// its instance that has not run yet is given a handed-over state. The
	// node restarts after 0.5-2 s times the profile's scale.
	SiteCrashReceiverGiven = "crash-receiver-given"
)

// startFaults is a simulation's state for the sites above.
type startFaults struct {
	rng *rand.Rand
	// lastNode is the node each child last started on.
	lastNode map[core.ChildID]core.NodeID
	// nodeCrashed: SiteCrashDuringHandover fired (once per seed).
	nodeCrashed bool
	// receiverRng is SiteCrashReceiverGiven's stream, receiverCrashed
	// says it fired (once per seed).
	receiverRng     *rand.Rand
	receiverCrashed bool
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

// crashDuringHandoverOdds returns the odds of SiteCrashDuringHandover for
// a sweep seed: hot-swap seeds of the crash and mix classes (node crashes
// are theirs), three in four, from startFaultOdds' stream. Per handover
// 0.2-0.6 (was 0.02-0.1: it fired in 9 of crash and mix seeds 1-150
// each, now in 16; at 0.5-1.0, 17: the once-per-seed bound and the
// hot-swap seeds limit it).
func crashDuringHandoverOdds(class Class, setup Setup) float64 {
	if setup.Strategy != "singularity-hot" || (class != ClassCrash && class != ClassMix) {
		return 0
	}
	r := rand.New(rand.NewPCG(setup.Seed, 0xc4a5bef1))
	if r.IntN(4) == 0 {
		return 0
	}
	return 0.2 + 0.4*r.Float64()
}

// crashNodeDuringHandover crashes sn at d from now (if a fault may crash
// it then, and the sites are still enabled: faults end at the heal),
// while a handover it takes part in is in flight, and restarts it later.
func (s *Sim) crashNodeDuringHandover(sn *simNode, d time.Duration) {
	if s.startFaults.nodeCrashed || !s.fireStartFault(SiteCrashDuringHandover) {
		return
	}
	s.startFaults.nodeCrashed = true // one per seed: no storm of crashes, each moving children
	inc := sn.inc
	scale := time.Duration(1)
	if s.opts.Profile != nil {
		scale = s.opts.Profile.scale()
	}
	down := time.Duration(500+s.startFaults.rng.IntN(1500)) * time.Millisecond * scale
	s.after(d, func() {
		if sn.inc != inc || s.buggify[SiteCrashDuringHandover] <= 0 || !s.mayCrash(sn.name) {
			return
		}
		s.Crash(sn.name)
		s.cover(CoverCrashDuringHandover)
		s.after(down, func() { s.Restart(sn.name) })
	})
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
		if !sn.up || sn.inc != inc || c == nil || c.instance != instance || (c.truth.Ran != 0) != ran || len(s.buggify) == 0 {
			return
		}
		given := len(c.truth.Given) > 0
		if s.CrashChild(sn.name, id) && !ran && given {
			s.cover(CoverGivenStateCrashedBeforeRun)
		}
	})
}

// crashReceiverGivenOdds returns the odds of SiteCrashReceiverGiven for a
// sweep seed: hot-swap seeds of the crash and mix classes, three in
// four, from a stream of its own.
func crashReceiverGivenOdds(class Class, setup Setup) float64 {
	if setup.Strategy != "singularity-hot" || (class != ClassCrash && class != ClassMix) {
		return 0
	}
	r := rand.New(rand.NewPCG(setup.Seed, 0xc4a5bef2))
	if r.IntN(4) == 0 {
		return 0
	}
	return 0.3 + 0.5*r.Float64()
}

// crashReceiverGiven crashes sn now (if the site fires, a fault may crash
// it, and it did not fire yet in this seed): its instance of a child,
// not yet running, was just given a handed-over state. It restarts sn
// later.
func (s *Sim) crashReceiverGiven(sn *simNode) {
	p := s.buggify[SiteCrashReceiverGiven]
	if p <= 0 || s.startFaults.receiverCrashed {
		return
	}
	if s.startFaults.receiverRng == nil {
		s.startFaults.receiverRng = rand.New(rand.NewPCG(s.opts.Seed, 0x57a2f418))
	}
	r := s.startFaults.receiverRng
	if r.Float64() >= p {
		return
	}
	down := time.Duration(500+r.IntN(1500)) * time.Millisecond
	if s.opts.Profile != nil {
		down *= s.opts.Profile.scale()
	}
	inc := sn.inc
	s.startFaults.receiverCrashed = true
	s.hits[SiteCrashReceiverGiven]++
	s.tracef(TraceEvent{Kind: "buggify"}, "%s", SiteCrashReceiverGiven)
	// At once, but after the effect is applied (the driver's next event).
	s.after(0, func() {
		if sn.inc != inc || !sn.up || !s.mayCrash(sn.name) {
			return
		}
		s.Crash(sn.name)
		s.after(down, func() { s.Restart(sn.name) })
	})
}
