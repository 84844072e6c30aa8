package sim

import (
	"fmt"
	"time"

	"github.com/phub/phub/core"
)

// Scale measures what a cluster of many nodes costs and how fast it
// reacts, in simulated time with core.DefaultConfig's production timings
// on a loss-free LAN (0.2–1 ms latency). Each phase runs the same seeded
// simulation on, so its figures replay exactly; callers that want the
// simulator's wall time measure the phases themselves.
type Scale struct {
	Sim   *Sim
	nodes []core.NodeID
}

// ScaleWindow is how long the idle traffic is measured: two anti-entropy
// rounds of the default 15 s interval.
const ScaleWindow = 30 * time.Second

// NewScale creates the simulation of n nodes; nothing runs yet.
func NewScale(n int, seed uint64) *Scale { return NewScaleDetector(n, seed, "") }

// NewScaleDetector is NewScale with every node on the failure detector d
// (core.Swim for SWIM-style probing; "" for the config's default).
func NewScaleDetector(n int, seed uint64, d core.DetectorKind) *Scale {
	s := New(Options{Seed: seed, ProductionTiming: true, Detector: d, Net: NetConfig{MinDelay: 200 * time.Microsecond, MaxDelay: time.Millisecond}})
	sc := &Scale{Sim: s}
	for i := 1; i <= n; i++ {
		sc.nodes = append(sc.nodes, nodeName(i))
	}
	return sc
}

// until runs the simulation in steps of step until done holds, and
// returns the simulated time that took; it fails after limit.
func (sc *Scale) until(step, limit time.Duration, done func() bool) (time.Duration, error) {
	t0 := sc.Sim.Now()
	for !done() {
		if sc.Sim.Now().Sub(t0) > limit {
			return 0, fmt.Errorf("not within %v of simulated time", limit)
		}
		sc.Sim.RunFor(step)
	}
	return sc.Sim.Now().Sub(t0), nil
}

// Form boots every node at once (each joins through the nodes booted
// before it) and runs 10 s of simulated time; it returns when every node's
// view first held every node (10 ms resolution).
func (sc *Scale) Form() (time.Duration, error) {
	for _, name := range sc.nodes {
		if err := sc.Sim.AddNode(name); err != nil {
			return 0, err
		}
	}
	t0 := sc.Sim.Now()
	formed, err := sc.until(10*time.Millisecond, 10*time.Second, func() bool {
		for _, name := range sc.nodes {
			if len(sc.Sim.Node(name).View()) != len(sc.nodes) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("%d nodes did not form: %w", len(sc.nodes), err)
	}
	sc.Sim.RunFor(10*time.Second - sc.Sim.Now().Sub(t0))
	return formed, nil
}

// Start starts children children (no-op specs) through the first node,
// awaited, and runs until every registry holds them.
func (sc *Scale) Start(children int) error {
	if children == 0 {
		return nil
	}
	specs := make([]core.ChildSpec, children)
	for i := range specs {
		specs[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("c%d", i))}
	}
	if _, err := sc.Sim.Request(sc.nodes[0], core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Await: true}}); err != nil {
		return err
	}
	_, err := sc.until(10*time.Millisecond, time.Minute, func() bool {
		for _, name := range sc.nodes {
			if sc.Sim.Node(name).Stats().Entries != children {
				return false
			}
		}
		return true
	})
	return err
}

// Idle runs ScaleWindow of simulated time without requests or faults and
// returns the messages and encoded bytes each node sent per second.
func (sc *Scale) Idle() (msgsPerNodeSec, bytesPerNodeSec float64) {
	m0, b0 := sc.Sim.Traffic()
	sc.Sim.RunFor(ScaleWindow)
	m1, b1 := sc.Sim.Traffic()
	per := float64(len(sc.nodes)) * ScaleWindow.Seconds()
	return float64(m1-m0) / per, float64(b1-b0) / per
}

// Propagate starts one child through the first node and returns the
// simulated time until every node's registry holds it (1 ms resolution).
func (sc *Scale) Propagate(id core.ChildID) (time.Duration, error) {
	if _, err := sc.Sim.Request(sc.nodes[0], core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}}}); err != nil {
		return 0, err
	}
	return sc.until(time.Millisecond, time.Minute, func() bool {
		for _, name := range sc.nodes {
			if sc.Sim.Node(name).Lookup(id) == nil {
				return false
			}
		}
		return true
	})
}

// Detect crashes the last node and returns the simulated time until every
// other node's view has dropped it (10 ms resolution).
func (sc *Scale) Detect() (time.Duration, error) {
	victim := sc.nodes[len(sc.nodes)-1]
	sc.Sim.Crash(victim)
	return sc.until(10*time.Millisecond, time.Minute, func() bool {
		for _, name := range sc.nodes[:len(sc.nodes)-1] {
			for _, v := range sc.Sim.Node(name).View() {
				if v == victim {
					return false
				}
			}
		}
		return true
	})
}
