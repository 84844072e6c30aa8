package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Class names a fault class of the seed sweeps.
type Class string

// Fault classes.
const (
	ClassNone          Class = "none"
	ClassCrash         Class = "crash"
	ClassChurn         Class = "churn"
	ClassMessages      Class = "messages"
	ClassPartition     Class = "partition"
	ClassNonTransitive Class = "nontransitive"
	ClassSkew          Class = "skew"
	ClassChildCrash    Class = "childcrash"
	ClassMix           Class = "mix"
)

// Classes lists every fault class in sweep order.
var Classes = []Class{ClassNone, ClassCrash, ClassChurn, ClassMessages, ClassPartition, ClassNonTransitive, ClassSkew, ClassChildCrash, ClassMix}

// ParseClass parses a class name.
func ParseClass(s string) (Class, error) {
	for _, c := range Classes {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown fault class %q (want one of %v)", s, Classes)
}

// partitions reports whether the class cuts links.
func (c Class) partitions() bool {
	return c == ClassPartition || c == ClassNonTransitive || c == ClassMix
}

// Guarantee is what a seed's checks assert (README's guarantee table).
type Guarantee struct {
	// Linearizable: the owner-routed registry history is linearizable.
	Linearizable bool
	// Durable: acknowledged starts are not lost and acknowledged stops
	// stay stopped, after heal and quiescence.
	Durable bool
	// NoResurrectionEver: no stopped child restarts at any time (not
	// only at quiescence).
	NoResurrectionEver bool
	// NoOverlap: two instances of a singleton child never run at once,
	// at any time (classes without failures or false suspicion).
	NoOverlap bool
}

// Guarantee returns what holds for a class with or without quorum.
func (s Setup) Guarantee() Guarantee {
	switch s.Class {
	case ClassNone, ClassSkew, ClassChildCrash:
		return Guarantee{Linearizable: true, Durable: true, NoResurrectionEver: true, NoOverlap: s.Strategy != "singularity-hot"}
	case ClassCrash, ClassMessages, ClassChurn:
		return Guarantee{Linearizable: true, Durable: true, NoResurrectionEver: true}
	case ClassPartition:
		// Divergence lets both sides decide (conflicting acknowledgements
		// merge by epoch); a majority quorum refuses the minority, so the
		// history stays linearizable and acknowledged operations survive.
		return Guarantee{Linearizable: s.Quorum, Durable: s.Quorum}
	}
	// Non-transitive cuts (and mixes containing them) can give two nodes
	// overlapping majorities with different views: two owners for one
	// child. Only durability after heal holds, and only with a quorum.
	return Guarantee{Durable: s.Quorum}
}

// Setup is everything a seed draws before the run; it is printed with
// the seed (swarm testing: each seed draws its own fault mix).
type Setup struct {
	Class    Class
	Seed     uint64
	Nodes    int
	Strategy string
	Loss     float64
	Dup      float64
	Reorder  float64
	Ops      int
	Faults   int
	// Quorum runs the seed with the majority-quorum strategy (drawn for
	// classes with partitions); otherwise divergence.
	Quorum bool
	// Batch feeds each node's queued inputs as core batches (the
	// runtime's path) with a per-input processing cost.
	Batch bool
}

// String prints every drawn setting, so a failure names the whole setup.
func (s Setup) String() string {
	return fmt.Sprintf("class=%s seed=%d nodes=%d strategy=%s quorum=%v batch=%v loss=%.2f dup=%.2f reorder=%.2f ops=%d faults=%d",
		s.Class, s.Seed, s.Nodes, s.Strategy, s.Quorum, s.Batch, s.Loss, s.Dup, s.Reorder, s.Ops, s.Faults)
}

// Strategies are the strategy mixes a sweep draws from.
var Strategies = map[string]func(*core.Config){
	"singularity-cold": func(c *core.Config) {},
	"singularity-hot": func(c *core.Config) {
		c.Migration = core.MigrationConfig{Kind: core.HotSwap, Retention: time.Second, Handover: true}
	},
	"replication-ap": func(c *core.Config) {
		c.Redundancy = core.RedundancyConfig{Factor: 2, Mode: core.ActivePassive, Signal: core.SignalAll}
	},
	"gossip": func(c *core.Config) { c.Sync.Kind = core.Gossip; c.Sync.FanOut = 2 },
}

// StrategyNames lists Strategies' keys sorted.
func StrategyNames() []string {
	var out []string
	for k := range Strategies {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Result is the outcome of one seed.
type Result struct {
	Setup      Setup
	Violations []checks.Violation
	Lin        checks.LinResult
	LinChecked bool
	Overlap    time.Duration
	Events     int
	Hash       uint64
	Ops        int
	SimTime    time.Duration
	History    checks.History
	Hits       map[string]int
	// MinorityWindows counts quorum windows checked (partition class).
	MinorityWindows int
	// ConvergedAfter is how long after the heal every live registry first
	// matched the truth (-1: not within the 10 s bound).
	ConvergedAfter time.Duration
}

// Failed reports whether any check failed.
func (r *Result) Failed() bool {
	return len(r.Violations) > 0 || (r.LinChecked && r.Lin.Status != checks.LinOk)
}

// Summary describes the failure with the seed and the replay command.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Setup)
	for i, v := range r.Violations {
		if i == 10 {
			fmt.Fprintf(&b, "  ... %d more\n", len(r.Violations)-10)
			break
		}
		fmt.Fprintf(&b, "  %s\n", v)
	}
	if r.LinChecked && r.Lin.Status != checks.LinOk {
		fmt.Fprintf(&b, "  linearizability: %s\n", r.Lin.String())
	}
	fmt.Fprintf(&b, "  replay: go run ./cmd/phubd replay --class %s --seed %d\n", r.Setup.Class, r.Setup.Seed)
	return b.String()
}

// Draw derives a seed's setup.
func Draw(class Class, seed uint64) Setup {
	r := rand.New(rand.NewPCG(seed, uint64(len(class))*7919))
	names := StrategyNames()
	s := Setup{Class: class, Seed: seed, Nodes: 3 + r.IntN(3), Strategy: names[r.IntN(len(names))], Ops: 20 + r.IntN(40), Faults: 1 + r.IntN(4)}
	if class == ClassMessages || class == ClassMix {
		s.Loss, s.Dup, s.Reorder = r.Float64()*0.2, r.Float64()*0.1, r.Float64()*0.3
	}
	if class.partitions() {
		s.Quorum = r.IntN(2) == 0
	}
	s.Batch = r.IntN(2) == 0
	return s
}

// RunSeed runs one seed of a class: chaos, heal, quiescence, checks.
func RunSeed(class Class, seed uint64, opts Options) *Result {
	res, _ := RunSeedSim(class, seed, opts)
	return res
}

// RunSeedSim is RunSeed that also returns the simulation, for replay
// artifacts (trace, timeline, history).
func RunSeedSim(class Class, seed uint64, opts Options) (*Result, *Sim) {
	setup := Draw(class, seed)
	opts.Seed = seed
	userCfg := opts.Configure
	strat := Strategies[setup.Strategy]
	opts.Configure = func(c *core.Config) {
		strat(c)
		if setup.Quorum {
			c.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: setup.Nodes, TrackMaxSize: true}
		}
		if userCfg != nil {
			userCfg(c)
		}
	}
	r := rand.New(rand.NewPCG(seed, 0xfa17))
	if class == ClassSkew {
		opts.Skew = map[core.NodeID]time.Duration{}
		for i := 1; i <= setup.Nodes+8; i++ {
			opts.Skew[nodeName(i)] = time.Duration(r.Int64N(int64(4*time.Second))) - 2*time.Second
		}
	}
	if setup.Batch {
		opts.BatchInputs, opts.InputCost = true, time.Millisecond
	}
	s := New(opts)
	if class == ClassCrash || class == ClassMix {
		// Swarm: each seed enables the buggify sites with its own odds.
		if r.IntN(2) == 0 {
			s.Buggify(SiteCrashAfterAck, 0.05)
		}
		if r.IntN(2) == 0 {
			s.Buggify(SiteProbeAfterRestart, 0.5)
		}
	}
	for i := 1; i <= setup.Nodes; i++ {
		s.AddNode(nodeName(i))
	}
	s.RunFor(time.Second)
	s.SetNet(NetConfig{Loss: setup.Loss, Dup: setup.Dup, Reorder: setup.Reorder})
	pool := 12
	chaos := 6 * time.Second
	// Schedule client operations over the chaos phase.
	for i := 0; i < setup.Ops; i++ {
		at := time.Duration(r.Int64N(int64(chaos)))
		id := core.ChildID(fmt.Sprintf("c%d", r.IntN(pool)))
		kind := r.IntN(10)
		s.after(at, func() {
			live := s.LiveNodes()
			if len(live) == 0 {
				return
			}
			node := live[r.IntN(len(live))]
			switch {
			case kind < 5:
				s.Request(node, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}}, Start: core.StartOptions{Await: true, SkipCheckExisting: true}})
			case kind < 6:
				s.Request(node, core.Request{Op: core.OpStop, IDs: []core.ChildID{id}, Stop: core.StopOptions{Await: true}})
			case kind < 7:
				s.Request(node, core.Request{Op: core.OpTerminate, IDs: []core.ChildID{id}})
			case kind == 9:
				// Cordon a node (its children drain away) if this node sees
				// none cordoned, else uncordon one: concurrent cordons can
				// then never cordon every member (cordon.go).
				if c := s.nodes[node].node.Cordoned(); len(c) > 0 {
					s.Request(node, core.Request{Op: core.OpUncordon, Target: c[r.IntN(len(c))]})
				} else {
					s.Request(node, core.Request{Op: core.OpCordon, Target: live[r.IntN(len(live))]})
				}
			default:
				s.Request(node, core.Request{Op: core.OpLookup, IDs: []core.ChildID{id}, Consistency: core.Owner})
			}
		})
	}
	s.scheduleFaults(class, setup, r, chaos)
	s.RunFor(chaos)
	// Heal: network, clocks, crashed nodes.
	s.Heal()
	s.SetNet(NetConfig{})
	for _, n := range s.NodeNames() {
		if class != ClassSkew {
			s.SetSkew(n, 0) // undo clock jumps (itself a jump); constant skews stay
		}
		s.SetSlow(n, 0)
		if !s.Up(n) && !s.leftGracefully(n) {
			s.Restart(n)
		}
	}
	// Quiescence: measure how long the registries take to converge, then
	// run out the full bound before checking everything.
	res := &Result{}
	const quiet, stepQ = 10 * time.Second, 100 * time.Millisecond
	res.ConvergedAfter = -1
	for waited := time.Duration(0); waited < quiet; waited += stepQ {
		s.RunFor(stepQ)
		if res.ConvergedAfter < 0 && len(checks.Convergence(s.Truth())) == 0 {
			res.ConvergedAfter = waited + stepQ
		}
	}
	*res = Result{ConvergedAfter: res.ConvergedAfter, Setup: setup, Events: s.Events(), Hash: s.TraceHash(), Ops: s.history.Len(), Overlap: s.DuplicateOverlap(), SimTime: time.Duration(s.now), History: s.history}
	g := setup.Guarantee()
	res.Hits = s.Hits()
	res.Violations = s.CheckQuiescent(g)
	if g.NoOverlap && res.Overlap > 0 {
		_, worst := checks.DuplicateOverlap(s.Instances(), int64(s.now))
		res.Violations = append(res.Violations, checks.Violation{Check: checks.CheckSingularity, Child: worst.Child, Detail: fmt.Sprintf("duplicate instances for %v without any failure", res.Overlap)})
	}
	if setup.Quorum && class == ClassPartition {
		// A minority node stops its children and acknowledges nothing
		// once it has detected the partition.
		t := FastTiming()
		bound := t.DownAfter + 2*t.TickInterval + 2*s.opts.Net.MaxDelay
		res.MinorityWindows = len(s.MinorityWindows())
		res.Violations = append(res.Violations, checks.Quorum(s.MinorityWindows(), bound, s.Instances(), s.history)...)
	}
	if g.Linearizable {
		res.LinChecked = true
		res.Lin = checks.CheckLinearizable(s.history, 10*time.Second)
	}
	return res, s
}

func nodeName(i int) core.NodeID { return core.NodeID(fmt.Sprintf("n%d", i)) }

func (s *Sim) leftGracefully(n core.NodeID) bool {
	sn := s.nodes[n]
	return sn != nil && sn.left
}

// scheduleFaults draws the fault schedule of a class over the chaos phase.
func (s *Sim) scheduleFaults(class Class, setup Setup, r *rand.Rand, chaos time.Duration) {
	at := func() time.Duration { return time.Duration(r.Int64N(int64(chaos * 2 / 3))) }
	pick := func() core.NodeID {
		live := s.LiveNodes()
		if len(live) == 0 {
			return ""
		}
		return live[r.IntN(len(live))]
	}
	for i := 0; i < setup.Faults; i++ {
		c := class
		if c == ClassMix {
			opts := []Class{ClassCrash, ClassChurn, ClassMessages, ClassPartition, ClassNonTransitive, ClassSkew, ClassChildCrash}
			c = opts[r.IntN(len(opts))]
		}
		t0 := at()
		dur := time.Duration(500+r.IntN(1500)) * time.Millisecond
		switch c {
		case ClassCrash:
			s.after(t0, func() {
				if len(s.LiveNodes()) <= 2 {
					return
				}
				n := pick()
				s.Crash(n)
				s.after(dur, func() { s.Restart(n) })
			})
		case ClassChurn:
			join := r.IntN(2) == 0
			s.after(t0, func() {
				if join {
					s.AddNode(nodeName(len(s.names) + 1))
					return
				}
				if len(s.LiveNodes()) > 2 {
					s.Leave(pick())
				}
			})
		case ClassPartition:
			s.after(t0, func() {
				live := s.LiveNodes()
				if len(live) < 2 {
					return // nothing to split
				}
				k := 1 + r.IntN(len(live)-1)
				perm := r.Perm(len(live))
				var a, b []core.NodeID
				for i, p := range perm {
					if i < k {
						a = append(a, live[p])
					} else {
						b = append(b, live[p])
					}
				}
				s.Partition(a, b)
				s.after(dur, s.Heal)
			})
		case ClassNonTransitive:
			s.after(t0, func() {
				live := s.LiveNodes()
				if len(live) < 3 {
					return
				}
				perm := r.Perm(len(live))
				s.Cut(live[perm[0]], live[perm[1]])
				s.after(dur, s.Heal)
			})
		case ClassSkew:
			// Constant skews are set at boot (Options.Skew); at runtime a
			// node becomes slow. Clock jumps (pauses) belong to the mix class.
			s.after(t0, func() { s.SetSlow(pick(), time.Duration(r.IntN(40))*time.Millisecond) })
			if class == ClassMix {
				s.after(t0, func() { s.SetSkew(pick(), time.Duration(r.Int64N(int64(2*time.Second)))-time.Second) })
			}
		case ClassChildCrash:
			s.after(t0, func() {
				n := pick()
				for _, id := range sortedChildIDs(s.nodes[n].children) {
					if r.IntN(2) == 0 {
						s.CrashChild(n, id)
					}
				}
			})
		case ClassMessages:
			// The drawn loss/dup/reorder applies for the whole chaos phase.
		}
	}
}
