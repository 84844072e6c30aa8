package sim

import (
	"math/rand/v2"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Child start latency. A simulated child reports running
// Options.ChildStartDelay after its start (2 ms by default), so almost
// every instance ran before anything could depend on its still starting:
// a hot swap's old instance that stopped as soon as the new holder
// claimed the child, before the new instance ran, went unseen (on real
// processes, exec children behind a readiness probe, the old ones
// stopped 3.6-8.0 ms before their replacements were ready). With
// Options.ChildStartLatency each start takes up to that much longer,
// drawn per start from the seed (a stream of its own, so the other
// draws stay as they were); the sweep gives hot-swap seeds 0-2 ticks
// (seedStartLatency). Each instance's running report is recorded
// (checks.Instance.Ran), and so is each stop a node's core orders under
// hot swap (checks.SwapStop), for checks.HotSwapRunsFirst.

// startLatency is a simulation's start-latency stream and the hot-swap
// stops it records.
type startLatency struct {
	rng     *rand.Rand
	stops   []checks.SwapStop
	checked int // stops already judged (CheckQuiescent runs more than once)
	// asked is when each instance (node, child, instance) was last asked
	// for its state to hand over: the start of the wait Retention bounds
	// (checks.SwapStop.Asked).
	asked map[swapKey]int64
	// renewal: the instances whose last ask was a renewal's (core's
	// Effect.Renewal, checks.SwapStop.Renewal).
	renewal map[swapKey]bool
}

// swapKey names one instance of a child on a node.
type swapKey struct {
	node     core.NodeID
	child    core.ChildID
	instance uint64
}

// seedStartLatency is the start latency a sweep seed of strategy draws:
// 0, 1 or 2 ticks for hot swap (the strategy whose promise depends on
// the new instance running first), none otherwise (their traces stay).
func seedStartLatency(strategy string, seed uint64, tick time.Duration) time.Duration {
	if strategy != "singularity-hot" {
		return 0
	}
	return time.Duration(seed%3) * tick
}

// drawNoHandover says whether a sweep seed of strategy runs hot swap
// without handover: a quarter of the hot-swap seeds (seed%4 == 3, with
// each of seedStartLatency's latencies), taken from the seed alone so no
// other draw moves. The sweep's strategies all hand over under hot swap,
// so without these no seed ran the variant whose old instance stopped
// before the new one ran.
func drawNoHandover(strategy string, seed uint64) bool {
	return strategy == "singularity-hot" && seed%4 == 3
}

// childStartDelay is how long the instance starting now takes to report
// running: ChildStartDelay plus a latency drawn up to ChildStartLatency.
func (s *Sim) childStartDelay() time.Duration {
	d := s.opts.ChildStartDelay
	if s.opts.ChildStartLatency <= 0 {
		return d
	}
	if s.latency.rng == nil {
		s.latency.rng = rand.New(rand.NewPCG(s.opts.Seed, 0x57a27))
	}
	return d + time.Duration(s.latency.rng.Int64N(int64(s.opts.ChildStartLatency)+1))
}

// childRan records when an instance reported running.
func (s *Sim) childRan(sn *simNode, ev core.ChildEvent) {
	if c := sn.children[ev.ID]; c != nil && c.instance == ev.Instance && c.truth.Ran == 0 {
		c.truth.Ran = int64(s.now)
	}
}

// swapAsked records that sn's core asked an instance for its state to
// hand it over (a hot swap's handover, a renewal's; a leave's too, whose
// stops are not judged): its wait starts now.
func (s *Sim) swapAsked(sn *simNode, e core.Effect) {
	if s.latency.asked == nil {
		s.latency.asked = map[swapKey]int64{}
	}
	k := swapKey{sn.name, e.ID, e.Instance}
	s.latency.asked[k] = int64(s.now)
	if s.latency.renewal == nil {
		s.latency.renewal = map[swapKey]bool{}
	}
	// Core says which asks are a renewal's (renewWithState). Before, the
	// simulator guessed: the instance's epoch below its registry entry's
	// at the ask; but every hot-swap takeover raises the epoch, so the
	// guess held for ordinary asks too.
	s.latency.renewal[k] = e.Renewal
}

// swapStopped records a stop that sn's core ordered under hot swap while
// sn was up, not leaving, not partitioned, and still had the child
// registered: a migration's stop (checks.SwapStop). A partitioned node
// (its quorum lost) stops every child whatever the migration strategy:
// that stop is the partition strategy's, and the majority side's
// takeover, which it cannot see, is no hot swap.
func (s *Sim) swapStopped(sn *simNode, e core.Effect) {
	if sn.cfg.Migration.Kind != core.HotSwap || !sn.up || sn.leaving || sn.node.Partitioned() || sn.node.Lookup(e.ID) == nil {
		return
	}
	s.latency.stops = append(s.latency.stops, checks.SwapStop{Child: string(e.ID), Node: string(sn.name), Instance: e.Instance, At: int64(s.now),
		Asked: s.latency.asked[swapKey{sn.name, e.ID, e.Instance}], Renewal: s.latency.renewal[swapKey{sn.name, e.ID, e.Instance}]})
}

// swapRunsFirst judges the hot-swap stops recorded since the last call
// (checks.HotSwapRunsFirst) against the truth t.
func (s *Sim) swapRunsFirst(t checks.Truth) []checks.Violation {
	stops := s.latency.stops[s.latency.checked:]
	if len(stops) == 0 {
		return nil
	}
	s.latency.checked = len(s.latency.stops)
	var cfg core.Config
	for _, n := range s.names {
		cfg = s.nodes[n].cfg
		break
	}
	return checks.HotSwapRunsFirst(stops, t.Instances, int64(cfg.Migration.Retention), int64(cfg.Timing.TickInterval), cfg.Migration.Handover)
}
