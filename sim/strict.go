package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/phub/phub/core"
)

// Strict mode in the simulator: a share of every class's seeds runs the
// strict partition mode (core/strict.go), whose guarantee is the same in
// every class — no two instances of a child ever run at the same simulated
// true time, asserted over the whole run, faults included. The simulator
// models what the mode assumes of its driver and adds the faults that
// threaten leases: every node's monotonic clock runs at its own rate
// (drift within core's default MaxDrift, skew and mix classes), a process
// can pause (no input processed, then a burst), and the driver's fence
// timer kills a node's children when its monotonic clock reaches the
// deadline core gave it, paused or not.

// strictShare is the share of each class's seeds that draws strict mode
// (1 in strictShare).
const strictShare = 4

// maxSimDrift is the clock-rate drift the simulator draws: core's default
// MaxDrift, the bound strict mode's leases assume.
const maxSimDrift = 0.01

// strictGuarantee is strict mode's row of the guarantee table, the same in
// every class: no overlap at any instant, linearizability, durability and
// no resurrection. (Non-transitive cuts broke linearizability until peers
// refused to acknowledge conflicting writes of two owners, core/conflict.go:
// nontransitive strict seed 145.)
var strictGuarantee = Guarantee{Linearizable: true, Durable: true, NoResurrectionEver: true, NoOverlap: true}

// drawStrict draws strict mode for a share of the seeds, from a stream of
// its own so every other draw of a seed stays what it was. Strict runs
// one instance per child under cold swap: a strict seed that drew a
// hot-swap or replicated strategy runs singularity-cold instead.
func drawStrict(s *Setup) {
	r := rand.New(rand.NewPCG(s.Seed, uint64(len(s.Class))*7919+3))
	if r.IntN(strictShare) != 0 {
		return
	}
	s.Strict, s.Quorum, s.StrictLease = true, false, 1+r.IntN(2)
	if s.Strategy == "singularity-hot" || s.Strategy == "replication-ap" {
		s.Strategy = "singularity-cold"
	}
}

// strictPartition is the strict config of a seed: the initial nodes vote;
// the lease is leaseDownAfters × DownAfter.
func strictPartition(nodes, leaseDownAfters int, t core.Timing) core.PartitionConfig {
	p := core.PartitionConfig{Kind: core.Strict, Lease: time.Duration(leaseDownAfters) * t.DownAfter}
	for i := 1; i <= nodes; i++ {
		p.Voters = append(p.Voters, nodeName(i))
	}
	return p
}

// drawDrift gives every node of the skew and mix classes a clock rate
// within ±maxSimDrift (nil for other classes).
func drawDrift(class Class, seed uint64, nodes int) map[core.NodeID]float64 {
	if class != ClassSkew && class != ClassMix {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0xd41f7))
	out := map[core.NodeID]float64{}
	for i := 1; i <= nodes; i++ {
		out[nodeName(i)] = (2*r.Float64() - 1) * maxSimDrift
	}
	return out
}

// schedulePauses pauses nodes during the chaos phase: in the mix class
// for every seed, in the skew class for strict seeds (a pause is false
// suspicion, so the other modes' no-overlap promise of the skew class
// does not cover it). Pauses last 0.2–3 × DownAfter, so some outlast a
// lease. Drawn from a stream of their own.
func (s *Sim) schedulePauses(class Class, setup Setup, chaos, scale time.Duration) {
	if class != ClassMix && !(class == ClassSkew && setup.Strict) {
		return
	}
	r := rand.New(rand.NewPCG(setup.Seed, 0x9a05e))
	down := FastTiming().DownAfter * scale
	if p := s.opts.Profile; p != nil {
		down = p.Timing.DownAfter
	}
	for i := 1 + r.IntN(2); i > 0; i-- {
		t0 := time.Duration(r.Int64N(int64(chaos * 2 / 3)))
		d := time.Duration(float64(down) * (0.2 + 2.8*r.Float64()))
		pick := r.IntN(64)
		s.after(t0, func() {
			live := s.LiveNodes()
			if len(live) > 0 {
				s.Pause(live[pick%len(live)], d)
			}
		})
	}
}

// paused reports whether a node's process is paused.
func (s *Sim) paused(sn *simNode) bool { return sn.pausedUntil != 0 }

// Pause freezes a node's process for d: it processes no input (messages,
// ticks, child reports, requests queue up) until it wakes and takes them
// in a burst. Its children keep running; its fence timer still fires.
func (s *Sim) Pause(name core.NodeID, d time.Duration) {
	sn := s.nodes[name]
	if sn == nil || !sn.up || s.paused(sn) || d <= 0 {
		return
	}
	s.tracef(TraceEvent{Kind: "pause", Node: string(name)}, "%s %v", name, d)
	s.cover(CoverPause)
	sn.pausedUntil = s.now.Add(d)
	inc := sn.inc
	s.after(d, func() {
		if sn.up && sn.inc == inc {
			s.wake(sn)
		}
	})
}

// wake ends a pause: the queued inputs are fed in a burst.
func (s *Sim) wake(sn *simNode) {
	if !s.paused(sn) {
		return
	}
	q := sn.pauseQ
	sn.pausedUntil, sn.pauseQ = 0, nil
	s.tracef(TraceEvent{Kind: "wake", Node: string(sn.name)}, "%s %d", sn.name, len(q))
	for _, f := range q {
		s.input(sn, f)
	}
}

// wakeAll ends every pause (heal).
func (s *Sim) wakeAll() {
	for _, n := range s.names {
		if sn := s.nodes[n]; sn.up {
			s.wake(sn)
		}
	}
}

// monoBase keeps monotonic readings far from zero.
const monoBase = core.Mono(time.Hour)

// mono is a node's monotonic clock: true time since the simulation
// started at the node's own rate. Wall-clock jumps (SetSkew) leave it
// alone.
func (s *Sim) mono(sn *simNode) core.Mono {
	return monoBase + core.Mono(float64(s.now-s.start)*(1+sn.drift))
}

// trueAt is the first true instant at which sn's monotonic clock reads d.
func (s *Sim) trueAt(sn *simNode, d core.Mono) core.Instant {
	t := s.start + core.Instant(math.Ceil(float64(d-monoBase)/(1+sn.drift)))
	return max(t, s.now+1)
}

// armFence is the driver's fence timer, outside the node's event loop:
// when the node's monotonic clock reaches the deadline, every child of
// the node is killed, whether or not the node processes input.
func (s *Sim) armFence(sn *simNode, d core.Mono) {
	sn.fence = d
	if d == core.NoLease {
		return
	}
	inc := sn.inc
	var check func()
	check = func() {
		if !sn.up || sn.inc != inc || sn.fence != d {
			return // crashed, restarted, or a newer deadline replaced it
		}
		if s.mono(sn) < d {
			s.at(s.trueAt(sn, d), check)
			return
		}
		if len(sn.children) > 0 {
			s.tracef(TraceEvent{Kind: "fence", Node: string(sn.name)}, "%s %d", sn.name, len(sn.children))
			if s.paused(sn) {
				s.cover(CoverFenceWhilePaused)
			}
			s.killChildren(sn)
		}
	}
	s.at(s.trueAt(sn, d), check)
}

// strictOverlapDetail names what a strict seed's overlap violates.
func strictOverlapDetail(d time.Duration) string {
	return fmt.Sprintf("duplicate instances for %v in strict mode (must be exactly 0 in every class, at every instant)", d)
}
