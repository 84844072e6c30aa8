package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// ErrNodeCannotBoot is the panic value (wrapped, with the class, seed and
// core's refusal) of RunSeed and RunSeedSim when a node of the seed cannot
// boot with the options given: a harness misuse, not a protocol failure.
var ErrNodeCannotBoot = errors.New("sim: a node cannot boot with these options")

// RunSeed runs one seed of a class: chaos, heal, quiescence, a calm
// phase, an optional idle stretch, and the checks.
func RunSeed(class Class, seed uint64, opts Options) *Result {
	res, _ := RunSeedSim(class, seed, opts)
	return res
}

// RunSeedSim is RunSeed that also returns the simulation, for replay
// artifacts (trace, timeline, history).
//
// Phases: boot at a realistic wall time with the seed's timing profile;
// chaos (client operations and the class's faults, 6 s times the
// profile's scale); heal; quiescence (10 s plus the anti-entropy rounds
// every node needs to reach every peer — core.AntiEntropyRounds: one up
// to 8 peers with pubsub, ceil(peers/FanOut) with gossip: convergence is measured and every
// quiescent invariant checked); a calm phase on a healthy network with a few client
// operations, where every live registry is sampled against the
// propagation bound; and, for Setup.Idle, an idle stretch fast-forwarded
// past the tombstone TTL and ForgetDownAfter (with one node kept away
// for Setup.Outage, then brought back) followed by a second quiescence
// and the quiescent checks again — so expiry, forgetting and a forgotten
// member's return happen inside the seed.
func RunSeedSim(class Class, seed uint64, opts Options) (*Result, *Sim) {
	setup := Draw(class, seed)
	if opts.Nodes > 0 {
		setup.Nodes, setup.NodesSet = opts.Nodes, true
	}
	setup.Detector = opts.Detector
	prof, err := ProfileNamed(setup.Profile)
	if err != nil {
		panic(err)
	}
	opts.Seed = seed
	opts.Profile = &prof
	opts.Start = DefaultStart.Add(setup.StartOffset)
	userCfg := opts.Configure
	strat := Strategies[setup.Strategy]
	opts.Configure = func(c *core.Config) {
		strat(c)
		if setup.NoHandover {
			c.Migration.Handover = false
		}
		c.Migration.Retention = prof.Retention
		if setup.LargeBatch > 0 {
			wideLimits(c)
		}
		if setup.Guided {
			c.Distribution.Kind = core.Guided
		}
		if setup.Quorum {
			c.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: setup.Nodes, TrackMaxSize: true}
		}
		if setup.Strict {
			c.Partition = strictPartition(setup.Nodes, setup.StrictLease, c.Timing)
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
	opts.Durable = opts.Durable || setup.Durable
	opts.Drift = drawDrift(class, seed, setup.Nodes+8)
	if opts.ChildStartLatency == 0 {
		opts.ChildStartLatency = seedStartLatency(setup.Strategy, seed, prof.Timing.TickInterval) // startlatency.go
	}
	if opts.ChildExitDelay == 0 { // < 0: exits at once
		opts.ChildExitDelay = 3 * prof.Timing.TickInterval // slowexit.go
	}
	s := New(opts)
	if class == ClassDurable {
		s.Buggify(SiteCrashAfterAck, 0.05)
		if setup.DiskFaults {
			s.Buggify(SiteCrashBeforeSync, 0.01)
		}
	}
	if class == ClassCrash || class == ClassMix {
		// Swarm: each seed enables the buggify sites with its own odds.
		if r.IntN(2) == 0 {
			s.Buggify(SiteCrashAfterAck, 0.05)
		}
		if r.IntN(4) != 0 {
			s.Buggify(SiteProbeAfterRestart, 0.9)
		}
	}
	if class == ClassPartition || class == ClassMix {
		if r.IntN(4) != 0 {
			s.Buggify(SiteIsolateDuringHandover, 0.6)
		}
	}
	if before, moved := startFaultOdds(class, setup); before > 0 {
		s.Buggify(SiteCrashBeforeRun, before) // faults_starting.go
		s.Buggify(SiteMovedStartFails, moved)
	}
	if p := crashDuringHandoverOdds(class, setup); p > 0 {
		s.Buggify(SiteCrashDuringHandover, p) // faults_starting.go
	}
	if p := crashReceiverGivenOdds(class, setup); p > 0 {
		s.Buggify(SiteCrashReceiverGiven, p) // faults_starting.go
	}
	for i := 1; i <= setup.Nodes; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			// Options that core refuses for this seed (strict mode on a
			// replicated strategy, say) boot no node: every phase after
			// this would run on an empty cluster and pass or fail for
			// nothing. Say so, with the seed.
			panic(fmt.Errorf("%w: class=%s seed=%d strategy=%s: %s: %v", ErrNodeCannotBoot, class, seed, setup.Strategy, nodeName(i), err))
		}
	}
	s.trackHealth(10*time.Second + time.Duration(s.syncRounds())*prof.SyncInterval) // slowexit.go
	s.RunFor(max(time.Second, 4*prof.Timing.HeartbeatInterval))
	s.SetNet(NetConfig{Loss: setup.Loss, Dup: setup.Dup, Reorder: setup.Reorder})
	pool := 12
	k := prof.scale()
	chaos := 6 * time.Second * k
	// Schedule client operations over the chaos phase.
	for i := 0; i < setup.Ops; i++ {
		at := time.Duration(r.Int64N(int64(chaos)))
		id := core.ChildID(fmt.Sprintf("c%d", r.IntN(pool)))
		kind := r.IntN(10)
		extra := r.IntN(10)
		s.after(at, func() {
			live := s.LiveNodes()
			if len(live) == 0 {
				return
			}
			node := live[r.IntN(len(live))]
			switch {
			case kind < 5 && extra < 3:
				// A batch of 1–3 children with tags and restart policies.
				specs := []core.ChildSpec{{ID: id, Restart: core.RestartPolicy(r.IntN(3))}}
				for j := r.IntN(3); j > 0; j-- {
					o := core.ChildID(fmt.Sprintf("c%d", r.IntN(pool)))
					if o != specs[0].ID && (len(specs) < 2 || o != specs[1].ID) {
						specs = append(specs, core.ChildSpec{ID: o, Restart: core.RestartPolicy(r.IntN(3))})
					}
				}
				meta := core.Metadata{"tag": fmt.Sprintf("t%d", r.IntN(3))}
				s.Request(node, core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Await: true, SkipCheckExisting: true, Metadata: meta}})
			case kind < 5 && extra == 3:
				s.Request(node, core.Request{Op: core.OpLookup, IDs: []core.ChildID{id}, Consistency: core.Local})
			case kind < 5 && extra == 4:
				s.Request(node, core.Request{Op: core.OpWhichGlobal, Timeout: time.Second})
			case kind < 5 && extra == 5:
				s.Request(node, core.Request{Op: core.OpRedistribute, IDs: []core.ChildID{id}, Target: live[r.IntN(len(live))]})
			case kind < 5 && extra == 6:
				// A batch with a child that fails to start, rolled back.
				bad := core.ChildSpec{ID: core.ChildID(fmt.Sprintf("f%d", r.IntN(4))), Params: map[string]string{"fail": "start"}, Restart: core.Temporary}
				s.Request(node, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}, bad}, Start: core.StartOptions{Await: true, SkipCheckExisting: true, OnFailure: core.Rollback}})
			case kind < 5 && extra == 7:
				// Not awaited: "initiated" at once, the outcome unknown.
				s.Request(node, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}}})
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
	s.scheduleFaults(class, setup, r, chaos, k)
	s.schedulePauses(class, setup, chaos, k)
	s.guided = setup.Guided
	s.scheduleLargeBatch(setup.LargeBatch, rand.New(rand.NewPCG(seed, 0x1a26eba7c4)), chaos)
	s.RunFor(chaos)
	// Heal: network, clocks, crashed nodes.
	s.healAll(class)
	s.StopBuggify()
	// Quiescence: measure how long the registries take to converge, then
	// run out the full bound before checking everything.
	res := &Result{Setup: setup}
	quiet := 10*time.Second + time.Duration(s.syncRounds())*prof.SyncInterval
	res.ConvergedAfter = s.quiesce(quiet)
	g := setup.Guarantee()
	res.Violations = s.CheckQuiescent(g)
	if g.NoOverlap {
		if d := s.DuplicateOverlap(); d > 0 {
			_, worst := checks.DuplicateOverlap(s.Instances(), int64(s.now))
			detail := fmt.Sprintf("duplicate instances for %v without any failure", d)
			if setup.Strict {
				detail = strictOverlapDetail(d)
			}
			res.Violations = append(res.Violations, checks.Violation{Check: checks.CheckSingularity, Child: worst.Child, Detail: detail})
		}
	}
	res.Violations = append(res.Violations, s.checkColdSwapGap()...)
	detect := prof.Timing.DownAfter + 2*prof.Timing.TickInterval + 2*s.opts.Net.MaxDelay
	if setup.Detector == core.Swim {
		// SWIM's weaker bound (core/swim.go): a minority node notices
		// each unreachable member by its own probes (one member per
		// period, a new shuffled round once the old one is used up: at
		// most two rounds) or by its minority peers' news, then waits out
		// DownAfter of suspicion.
		detect += 2 * time.Duration(setup.Nodes) * prof.Timing.HeartbeatInterval
	}
	if setup.Quorum && class == ClassPartition {
		// A minority node stops its children and acknowledges nothing
		// once it has detected the partition.
		bound := detect
		res.MinorityWindows = len(s.MinorityWindows())
		res.Violations = append(res.Violations, checks.Quorum(s.MinorityWindows(), bound, s.Instances(), s.history)...)
	}
	res.Violations = append(res.Violations, s.calmPhase(setup, prof, r, pool)...)
	if setup.Idle {
		res.Violations = append(res.Violations, s.idlePhase(class, setup, prof, r, quiet, g)...)
	}
	res.Violations = append(res.Violations, s.CheckRun()...)
	if setup.Durable {
		res.Violations = append(res.Violations, s.epochsNotBelowAcknowledged()...)
	}
	if g.Linearizable {
		// Acknowledged epochs never go back (after a tombstone expired
		// included); with divergence both sides of a cut decide, and one
		// may acknowledge an epoch the other already passed.
		res.Violations = append(res.Violations, checks.AcknowledgedEpochsIncrease(s.history)...)
		// Two owners that cannot see each other (either side of a cut)
		// both acknowledge, as any owner-routed write: at most one of
		// two raced guided starts is promised only where the class
		// promises linearizability.
		res.Violations = append(res.Violations, s.checkGuidedRaces()...)
	}
	res.Events, res.Hash, res.Ops, res.SimTime, res.History = s.Events(), s.TraceHash(), s.history.Len(), s.Elapsed(), s.history
	res.Overlap = s.DuplicateOverlap()
	res.Hits = s.Hits()
	res.Coverage = s.Coverage()
	if g.Linearizable {
		res.LinChecked = true
		res.Lin = checks.CheckLinearizableHarness(s.history)
	}
	return res, s
}

// healAll ends every fault: network, clock jumps, slow nodes, crashed
// nodes (restarted).
func (s *Sim) healAll(class Class) {
	s.wakeAll()
	s.Heal()
	s.SetNet(NetConfig{})
	for _, n := range s.NodeNames() {
		if class != ClassSkew {
			s.SetSkew(n, 0) // undo clock jumps (itself a jump); constant skews stay
		}
		s.SetSlow(n, 0)
		if sn := s.nodes[n]; sn.disk != nil {
			sn.disk.full = false // storage faults end with the others
		}
		if !s.Up(n) && !s.leftGracefully(n) {
			s.Restart(n)
		}
	}
}

// quiesce runs d of virtual time and returns when every live registry
// first matched the truth (-1: never within d). Once converged and
// settled for a margin (2 × DownAfter, at least 2 s), the rest of d is
// fast-forwarded: nothing is left to do but heartbeats and anti-entropy.
func (s *Sim) quiesce(d time.Duration) time.Duration {
	const step = 100 * time.Millisecond
	converged := time.Duration(-1)
	p := s.opts.Profile
	for waited := time.Duration(0); waited < d; waited += step {
		if p != nil && converged >= 0 && waited >= converged+max(2*time.Second, 2*p.Timing.DownAfter) {
			s.FastForward(d-waited, p.idleTick())
			break
		}
		s.RunFor(step)
		if converged < 0 && len(checks.Convergence(s.Truth())) == 0 {
			converged = waited + step
		}
	}
	return converged
}

// calmPhase runs a few client operations on a healthy, settled network
// and samples every live registry against the propagation bound: an
// instance that has run for the bound is listed by every live node.
func (s *Sim) calmPhase(setup Setup, prof Profile, r *rand.Rand, pool int) []checks.Violation {
	if len(s.quorumLost()) > 0 {
		return nil // the cluster deliberately serves nothing
	}
	gossip := false
	if live := s.LiveNodes(); len(live) > 0 {
		gossip = s.nodes[live[0]].cfg.Sync.Kind == core.Gossip
	}
	bound := prof.PropagationBound(gossip, len(s.names), s.opts.Net.MaxDelay)
	if s.opts.BatchInputs {
		bound += time.Duration(4*len(s.names)) * s.opts.InputCost
	}
	calm := 2 * time.Second * prof.scale()
	begin := s.now
	ops := 3 + r.IntN(6)
	for i := 0; i < ops; i++ {
		at := time.Duration(r.Int64N(int64(calm / 2)))
		id := core.ChildID(fmt.Sprintf("c%d", r.IntN(pool)))
		stop := r.IntN(3) == 0
		s.after(at, func() {
			live := s.LiveNodes()
			if len(live) == 0 {
				return // no node to ask (every node down or gone)
			}
			node := live[r.IntN(len(live))]
			if stop {
				s.Request(node, core.Request{Op: core.OpStop, IDs: []core.ChildID{id}, Stop: core.StopOptions{Await: true}})
				return
			}
			s.Request(node, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: id}}, Start: core.StartOptions{Await: true, SkipCheckExisting: true}})
		})
	}
	step := max(bound/2, time.Millisecond)
	for end := s.now.Add(calm); s.now < end; {
		s.RunFor(step)
		s.sampleRegistries(bound)
	}
	// Let the last samples' instances show whether they kept running.
	s.RunFor(bound)
	if prof.SyncInterval > 2*bound && s.propNewest >= int64(begin) {
		s.cover(CoverPropagationChecked)
	}
	return s.checkPropagation(bound)
}

// idlePhase fast-forwards past every expiry timer of the profile. With
// Setup.Outage one node is away for the whole stretch (crashed, or left
// gracefully in the churn class) and comes back after it, when the
// others have forgotten it. Then the cluster settles and the quiescent
// checks run again: nothing stopped before the stretch may run after it
// (tombstones expired meanwhile), nothing acknowledged may be lost.
func (s *Sim) idlePhase(class Class, setup Setup, prof Profile, r *rand.Rand, quiet time.Duration, g Guarantee) []checks.Violation {
	var away core.NodeID
	if live := s.LiveNodes(); setup.Outage && len(live) > 0 {
		if n := live[r.IntN(len(live))]; s.mayCrash(n) && len(s.quorumLost()) == 0 {
			away = n
			if class == ClassChurn {
				s.Leave(n)
			} else {
				s.Crash(n)
			}
		}
	}
	if setup.Durable && away != "" && s.awayPastTTL(away, prof, quiet) {
		s.Crash(away) // away again for the whole stretch (disk_faults.go)
	}
	t := prof.Timing
	stopped := s.stoppedIDs()
	s.FastForward(max(t.TombstoneTTL, t.ForgetDownAfter)+2*prof.SyncInterval, prof.idleTick())
	s.cover(CoverIdleFastForward)
	if away != "" && !s.Up(away) {
		s.Restart(away)
	}
	if setup.Durable {
		s.fullRestartAfterIdle() // epochs keep growing across it (disk_faults.go)
	}
	s.quiesce(quiet)
	var vs []checks.Violation
	for _, v := range s.CheckQuiescent(g) {
		v.Detail += " (after the idle stretch)"
		vs = append(vs, v)
	}
	s.restartExpired(stopped, r, quiet)
	return vs
}

// CheckRun runs the checks over the whole run: state continuity through
// hot-swap handovers, restart accounting of every child crash, and every
// which_children_global answer against the truth.
func (s *Sim) CheckRun() []checks.Violation {
	var vs []checks.Violation
	var cfg core.Config
	for _, n := range s.names {
		cfg = s.nodes[n].cfg
		break
	}
	stash := int64(4 * cfg.Migration.Retention)
	vs = append(vs, checks.HandoverState(s.handoversDone, s.Instances(), stash)...)
	vs = append(vs, s.checkRetransmissions(cfg.Timing)...)
	vs = append(vs, s.guidedViolations...)
	vs = append(vs, checks.Restarts(s.crashObs, cfg.Restart.MaxRestarts, int64(cfg.Restart.Window))...)
	vs = append(vs, checks.WhichChildrenGlobal(s.whichObs, s.Instances())...)
	if len(s.hookViolations) > 0 {
		vs = append(vs, s.hookViolations[:min(len(s.hookViolations), 10)]...)
	}
	if !s.lossy {
		// Without loss, cuts or crashes every leave handover completes.
		vs = append(vs, checks.LeaveHandoverState(s.leaveHandovers, s.Instances(), stash)...)
	}
	return vs
}

// syncRounds is how many anti-entropy rounds it takes every node to send
// its full state to every peer: each round reaches a bounded number of
// peers in rotation (FanOut with gossip; with pubsub 8, or more to reach
// all within half the tombstone TTL), so one while the peers fit in a
// round and ceil(peers/width) beyond (core.AntiEntropyRounds).
func (s *Sim) syncRounds() int {
	live := s.LiveNodes()
	if len(live) == 0 {
		return 1
	}
	return core.AntiEntropyRounds(s.nodes[live[0]].cfg, len(s.names)-1)
}
