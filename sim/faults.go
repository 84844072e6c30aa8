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
	// ClassDurable runs durable nodes (simulated disks) through single
	// crashes and full-cluster crashes (every node at once, restarted
	// apart), with storage faults in half of the seeds (Setup.DiskFaults).
	ClassDurable Class = "durable"
)

// Classes lists every fault class in sweep order.
var Classes = []Class{ClassNone, ClassCrash, ClassChurn, ClassMessages, ClassPartition, ClassNonTransitive, ClassSkew, ClassChildCrash, ClassMix, ClassDurable}

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
	if s.Strict {
		return strictGuarantee
	}
	switch s.Class {
	case ClassNone, ClassSkew, ClassChildCrash:
		return Guarantee{Linearizable: true, Durable: true, NoResurrectionEver: true, NoOverlap: s.Strategy != "singularity-hot"}
	case ClassCrash, ClassMessages, ClassChurn, ClassDurable:
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
	// Strict runs the seed with the strict partition mode (voters: the
	// initial nodes); drawn for a share of the seeds of every class.
	Strict bool
	// StrictLease is strict mode's lease in DownAfters (1 or 2): with 2
	// the lease, not failure detection, decides when a child moves.
	StrictLease int
	// Batch feeds each node's queued inputs as core batches (the
	// runtime's path) with a per-input processing cost.
	Batch bool
	// Profile names the timing profile (Profiles).
	Profile string
	// Idle: after the calm phase the seed fast-forwards past every
	// expiry timer (tombstone TTL, forgetting members), with one node
	// kept away (crashed or left) for the whole stretch when Outage.
	Idle   bool
	Outage bool
	// StartOffset moves the clock's start past DefaultStart.
	StartOffset time.Duration
	// Durable runs the nodes in durable mode on simulated disks (the
	// durable class); DiskFaults adds storage faults: crashes between
	// write and sync, torn writes, read errors, corrupted pages, full
	// disks.
	Durable    bool
	DiskFaults bool
	// LargeBatch is the size of one large awaited start during chaos (0:
	// none), on nodes with shrunk limits so its messages are split;
	// Guided runs the guided distribution with a child mapping on every
	// start, some invalid (workload_wide.go).
	LargeBatch int
	Guided     bool
	// Detector and NodesSet record RunSeed's options that change the
	// run (Options.Detector, Options.Nodes), for the replay command.
	Detector core.DetectorKind
	NodesSet bool
	// NoHandover runs a hot-swap seed without handover (a quarter of
	// them, startlatency.go's drawNoHandover).
	NoHandover bool
}

// String prints every drawn setting, so a failure names the whole setup.
func (s Setup) String() string {
	d := ""
	if s.Durable {
		d = fmt.Sprintf(" durable=true diskfaults=%v", s.DiskFaults)
	}
	if s.LargeBatch > 0 {
		d += fmt.Sprintf(" largebatch=%d", s.LargeBatch)
	}
	if s.Guided {
		d += " guided=true"
	}
	if s.Detector != "" {
		d += " detector=" + string(s.Detector)
	}
	if s.NoHandover {
		d += " handover=false"
	}
	return fmt.Sprintf("class=%s seed=%d nodes=%d strategy=%s quorum=%v strict=%v/%d batch=%v loss=%.2f dup=%.2f reorder=%.2f ops=%d faults=%d profile=%s idle=%v outage=%v start=+%v%s",
		s.Class, s.Seed, s.Nodes, s.Strategy, s.Quorum, s.Strict, s.StrictLease, s.Batch, s.Loss, s.Dup, s.Reorder, s.Ops, s.Faults, s.Profile, s.Idle, s.Outage, s.StartOffset, d)
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
	// matched the truth (-1: not within the quiescence bound).
	ConvergedAfter time.Duration
	// Coverage counts the coverage points the seed reached.
	Coverage map[string]int
}

// Failed reports whether any check failed. A linearizability check that
// ran out of its step budget (Undecided) is not a failure.
func (r *Result) Failed() bool {
	return len(r.Violations) > 0 || (r.LinChecked && r.Lin.Status != checks.LinOk && r.Lin.Status != checks.LinInconclusive)
}

// Undecided reports whether the linearizability check ran out of its
// step budget (checks.HarnessLinSteps per child) on some child and found
// no other child illegal: the seed is neither passed nor failed, and the
// same seed is undecided on any machine.
func (r *Result) Undecided() bool {
	return r.LinChecked && r.Lin.Status == checks.LinInconclusive
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
	fmt.Fprintf(&b, "  replay: go run ./cmd/phubd replay --class %s --seed %d%s\n", r.Setup.Class, r.Setup.Seed, r.Setup.ReplayFlags())
	return b.String()
}

// ReplayFlags returns the flags phubd sim and phubd replay need beyond
// --class and --seed to run this setup again ("" for a default run).
func (s Setup) ReplayFlags() string {
	f := ""
	if s.Detector != "" {
		f += " --detector " + string(s.Detector)
	}
	if s.NodesSet {
		f += fmt.Sprintf(" --nodes %d", s.Nodes)
	}
	return f
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
	// Drawn from a second stream so the draws above stay what they were.
	r2 := rand.New(rand.NewPCG(seed, uint64(len(class))*7919+1))
	s.Profile = drawProfile(r2).Name
	s.Idle = r2.IntN(3) == 0
	s.Outage = s.Idle && class != ClassNone && r2.IntN(2) == 0
	s.StartOffset = time.Duration(r2.Int64N(int64(365 * 24 * time.Hour)))
	if class == ClassDurable {
		// A third stream: the draws of the other classes stay as they were.
		r3 := rand.New(rand.NewPCG(seed, uint64(len(class))*7919+2))
		s.Durable = true
		s.DiskFaults = r3.IntN(2) == 0
	}
	drawStrict(&s)
	drawWide(class, seed, &s)
	s.NoHandover = drawNoHandover(s.Strategy, seed) // startlatency.go
	return s
}

func nodeName(i int) core.NodeID { return core.NodeID(fmt.Sprintf("n%d", i)) }

func (s *Sim) leftGracefully(n core.NodeID) bool {
	sn := s.nodes[n]
	return sn != nil && sn.left
}

// scheduleFaults draws the fault schedule of a class over the chaos phase.
//
// Fault windows last 0.5–2 s times scale, so failure detection (DownAfter)
// fits inside them whatever the timing profile.
func (s *Sim) scheduleFaults(class Class, setup Setup, r *rand.Rand, chaos, scale time.Duration) {
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
		dur := time.Duration(500+r.IntN(1500)) * time.Millisecond * scale
		switch c {
		case ClassCrash:
			s.after(t0, func() {
				n := pick()
				if !s.mayCrash(n) {
					return
				}
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
			// Either crash some children of a node once, or crash one
			// child in a loop (past its restart intensity, sometimes).
			loop := r.IntN(2) == 0
			gap := time.Duration(10+r.IntN(60)) * time.Millisecond * scale
			times := 2 + r.IntN(4)
			s.after(t0, func() {
				n := pick()
				if n == "" {
					return
				}
				ids := sortedChildIDs(s.nodes[n].children)
				if loop && len(ids) > 0 {
					id := ids[r.IntN(len(ids))]
					for i := 0; i < times; i++ {
						s.after(time.Duration(i)*gap, func() { s.CrashChild(n, id) })
					}
					return
				}
				for _, id := range ids {
					if r.IntN(2) == 0 {
						s.CrashChild(n, id)
					}
				}
			})
		case ClassMessages:
			// The drawn loss/dup/reorder applies for the whole chaos phase.
		case ClassDurable:
			s.scheduleDurableFault(setup, r, t0, dur)
		}
	}
}

// mayCrash reports whether a fault may crash n now: at least two other
// nodes stay up. The registry is in memory only: when every node that
// holds it is down at once, acknowledged children are lost by design
// (no durability is promised then; a durable mode would change this), so
// no fault — scheduled or buggify — ever takes the cluster that far.
//
// In durable mode (Options.Durable) every node recovers from its disk,
// so any node may crash, the last one included.
func (s *Sim) mayCrash(n core.NodeID) bool {
	if n == "" || !s.Up(n) {
		return false
	}
	return s.opts.Durable || len(s.LiveNodes()) > 2
}
