package sim

import (
	"math/rand/v2"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Children slow to exit. A real process told to stop takes a while to
// exit (its SIGTERM handler, or the driver's stop grace): with
// Options.ChildExitDelay a stopped simulated child whose exit core awaits
// (every stop in strict mode, a move's stop elsewhere: Effect.AwaitExit)
// keeps running for a time drawn from the seed — up to ChildExitDelay, and for one stop in
// eight up to eight times as long — before it exits and, when core awaits
// it (strict mode, Effect.AwaitExit), reports its exit. Its truth ends at
// the stop (checks.Instance.End: its node forgot it) and its process at
// the exit (Exited), which the checks of two instances at once count. A
// node crash ends
// it at once (the driver's children die with it), and in strict mode the
// driver's fence ends it at the lease deadline in force at its stop.
//
// The draw has a stream of its own (like the start latency), so enabling
// it moves no other draw.

// exitingChild is a stopped instance still running.
type exitingChild struct {
	c  *simChild
	sn *simNode
}

// childExitDelay draws how long the instance stopped now takes to exit.
func (s *Sim) childExitDelay() time.Duration {
	max := s.opts.ChildExitDelay
	if max <= 0 {
		return 0
	}
	if s.exitRng == nil {
		s.exitRng = rand.New(rand.NewPCG(s.opts.Seed, 0xe1a7))
	}
	if s.exitRng.IntN(8) == 0 {
		max *= 8
	}
	return time.Duration(s.exitRng.Int64N(int64(max) + 1))
}

// stopChild performs an EffectStop on a running instance c of sn: it ends
// now or after a drawn delay, and its exit is reported when core awaits
// it.
func (s *Sim) stopChild(sn *simNode, c *simChild, e core.Effect, report func(time.Duration, core.ChildEvent)) {
	await := sn.cfg.Partition.Kind == core.Strict || e.AwaitExit
	d := time.Duration(0)
	if await {
		// Only stops whose exit core awaits are slow: core does not wait
		// for the others (a stop request, then a start of the child
		// again on the same node, would overlap: not modelled yet).
		d = s.childExitDelay()
	}
	if d == 0 {
		s.endInstance(sn, e.ID)
		if await {
			report(time.Millisecond, core.ChildEvent{Kind: core.ChildExited, ID: e.ID, Instance: e.Instance, Reason: "stopped"})
		}
		return
	}
	s.endInstance(sn, e.ID) // core forgot it (End); the process runs on (Exited)
	x := &exitingChild{c: c, sn: sn}
	sn.exiting = append(sn.exiting, x)
	s.cover(CoverSlowExit)
	inc := sn.inc
	s.after(d, func() {
		if !s.endExiting(x) {
			return // ended by a crash or the fence
		}
		if await && sn.up && sn.inc == inc {
			report(time.Millisecond, core.ChildEvent{Kind: core.ChildExited, ID: e.ID, Instance: e.Instance, Reason: "stopped"})
		}
	})
	if f := sn.fence; sn.cfg.Partition.Kind == core.Strict && f != core.NoLease {
		// The driver capped the stopped instance at the deadline in
		// force: its fence kills it there.
		s.at(s.trueAt(sn, f), func() { s.endExiting(x) })
	}
}

// endExiting ends a stopped instance still running; it reports false if
// it had ended already.
func (s *Sim) endExiting(x *exitingChild) bool {
	for i, y := range x.sn.exiting {
		if y == x {
			x.sn.exiting = append(x.sn.exiting[:i], x.sn.exiting[i+1:]...)
			x.c.truth.Exited = int64(s.now)
			return true
		}
	}
	return false
}

// endAllExiting ends every stopped instance of sn still running (a
// crash, the fence).
func (s *Sim) endAllExiting(sn *simNode) {
	for _, x := range sn.exiting {
		x.c.truth.Exited = int64(s.now)
	}
	sn.exiting = nil
}

// Health. checks.ColdSwapGap judges overlaps that began while the
// cluster was healthy: every node that is a member alive (none crashed
// and not restarted), every link up, no process paused, no message loss,
// and no such disturbance within the margin before (its consequences —
// suspicion, failover, a restarted node's sync — play out after it). A
// graceful join, leave or cordon is no disturbance.

// health tracks the spans the cluster was not healthy.
type health struct {
	unhealthy []checks.Window
	badSince  int64 // start of the current bad state, -1 if none
}

// noteHealth re-evaluates the cluster's health after a traced event and
// records a disturbance of the margin after it.
func (s *Sim) noteHealth(ev *TraceEvent) {
	kind := ev.Kind
	switch kind {
	case "crash", "boot", "partition", "cut", "heal", "pause", "wake", "net", "full-cluster", "recover", "buggify", "disk", "skew":
	default:
		return
	}
	h := &s.health
	now := int64(s.now)
	if s.healthMargin == 0 {
		return // not tracked (no sweep seed)
	}
	margin := int64(s.healthMargin)
	if sn := s.nodes[core.NodeID(ev.Node)]; kind == "boot" && sn != nil && sn.inc <= 1 {
		return // a new node joining is no disturbance
	}
	bad := s.disturbed()
	switch {
	case bad && h.badSince < 0:
		h.badSince = now
	case !bad && h.badSince >= 0:
		h.unhealthy = append(h.unhealthy, checks.Window{Start: h.badSince, End: now + margin})
		h.badSince = -1
	}
	switch kind {
	case "skew", "buggify", "disk", "full-cluster", "recover":
		// No state that ends later: a disturbance at this instant.
		h.unhealthy = append(h.unhealthy, checks.Window{Start: now, End: now + margin})
	}
}

// noteFastForward counts an idle stretch of d from now (coarse ticks) as
// a disturbance.
func (s *Sim) noteFastForward(d time.Duration) {
	if s.healthMargin > 0 {
		s.health.unhealthy = append(s.health.unhealthy, checks.Window{Start: int64(s.now), End: int64(s.now.Add(d + s.healthMargin))})
	}
}

// trackHealth starts recording the cluster's health, a disturbance
// counting for margin after it.
func (s *Sim) trackHealth(margin time.Duration) {
	s.healthMargin, s.health.badSince = margin, -1
}

// disturbed reports whether the cluster is not healthy now.
func (s *Sim) disturbed() bool {
	if s.opts.Net.Loss > 0 || len(s.blocked) > 0 || s.idleTick > 0 {
		return true
	}
	for _, n := range s.names {
		sn := s.nodes[n]
		if (!sn.up && !sn.left && !sn.leaving) || s.paused(sn) {
			return true
		}
	}
	return false
}

// unhealthyWindows returns the spans the cluster was not healthy, the
// current one running until now plus the margin.
func (s *Sim) unhealthyWindows() []checks.Window {
	w := s.health.unhealthy
	if s.health.badSince >= 0 {
		w = append(w[:len(w):len(w)], checks.Window{Start: s.health.badSince, End: int64(s.now) + int64(s.healthMargin)})
	}
	return w
}

// checkColdSwapGap runs checks.ColdSwapGap when every node runs cold
// swap with replication factor 1 and pubsub outside strict mode (strict
// mode has its own, stronger check; hot swap overlaps by design). Not
// under gossip: a claim reaches the next holder only after gossip rounds,
// so when a placement flips back within a round (a cordon and an
// uncordon in a row) the node it flips back to starts the child before
// it heard of the claim of the node that took it meanwhile, whose
// instance may still run (churn seed 92 of the default sweep: b8 moved
// n4→n5→n4 in 6 ms, n5's instance exited 3 ms after n4's start). A known
// gap, not a slow-exit one: the check would fail on it.
func (s *Sim) checkColdSwapGap() []checks.Violation {
	if s.healthMargin == 0 {
		return nil
	}
	for _, n := range s.names {
		cfg := s.nodes[n].cfg
		if cfg.Migration.Kind != core.ColdSwap || cfg.Redundancy.Factor != 1 || cfg.Partition.Kind == core.Strict || cfg.Sync.Kind != core.PubSub {
			return nil
		}
	}
	return checks.ColdSwapGap(s.Instances(), s.unhealthyWindows(), int64(s.now))
}
