package netfault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// faultKind is one kind of network or process fault.
type faultKind string

const (
	faultIsolate       faultKind = "isolate"       // one node cut from all others (1|4)
	faultSplit         faultKind = "split"         // a majority/minority split (3|2)
	faultFull          faultKind = "full"          // every node cut from every other
	faultNonTransitive faultKind = "nontransitive" // a–c cut, a–b and b–c up
	faultKill          faultKind = "kill"          // kill -9 phubd, restart it at the heal
	faultLinkDown      faultKind = "linkdown"      // ip link set eth0 down, up at the heal
	faultImpostor      faultKind = "impostor"      // a 6th phubd joins under a member's name, killed at the heal
	faultLoss          faultKind = "loss"          // the bridge drops 1 in 8 packets
	faultPause         faultKind = "pause"         // SIGSTOP phubd (its children run on), SIGCONT at the heal
)

var allFaults = []faultKind{faultIsolate, faultSplit, faultFull, faultNonTransitive, faultKill, faultLinkDown, faultImpostor, faultLoss, faultPause}

// defaultFaults are the kinds a run draws from unless PHUB_NETFAULT_FAULTS
// says otherwise: all of them, in the order a short run's first round
// takes them (the faults that matter most for strict mode and the orphan
// guarantees first).
var defaultFaults = []faultKind{faultPause, faultKill, faultImpostor, faultSplit, faultIsolate, faultFull, faultLinkDown, faultLoss, faultNonTransitive}

// fault is one injected fault and how long the cluster took to notice
// its heal.
type fault struct {
	Kind  faultKind
	Nodes []int // the cut-off, killed, paused or link-down nodes; nontransitive: a and c; impostor: the node whose name it takes
	// Start is when the fault was in place, Heal when it was removed
	// (kill: the restart), Healthy when every node again saw every member
	// alive, was not partitioned and answered an owner lookup (0: never,
	// within the bound). All since the run's start.
	Start, Heal, Healthy time.Duration
	// HealBound is the heal-detection bound that applied to this fault:
	// the guarantee's, scaled by the load measured while waiting
	// (loadwait.Deadline; 0: the guarantee's as written).
	HealBound time.Duration
}

// HealDetection is the time from the heal to a healthy cluster, or -1.
func (f fault) HealDetection() time.Duration {
	if f.Healthy == 0 {
		return -1
	}
	return f.Healthy - f.Heal
}

func (f fault) String() string {
	names := make([]string, len(f.Nodes))
	for i, n := range f.Nodes {
		names[i] = fmt.Sprintf("n%d", n+1)
	}
	return fmt.Sprintf("%s%v %.1fs–%.1fs, healthy after %.2fs", f.Kind, names, f.Start.Seconds(), f.Heal.Seconds(), f.HealDetection().Seconds())
}

// nemesis injects faults drawn from a seeded PRNG: each round is a
// shuffled list of every fault kind, so a run of a few rounds sees each.
type nemesis struct {
	c     *cluster
	t0    time.Time
	rng   *rand.Rand
	kinds []faultKind      // drawn from, each once per shuffled round
	hold  [2]time.Duration // a fault lasts hold[0] + rand[0, hold[1])
	// ordered: the first round takes kinds in their given order (a short
	// run that cannot see every kind sees the first ones), later rounds
	// are shuffled.
	ordered bool
	// load counts the live child processes per node index; faults hit
	// the busiest nodes first, so a kill always has children to orphan.
	load func() map[int]int

	mu     sync.Mutex
	faults []fault
}

func newNemesis(c *cluster, t0 time.Time, seed uint64, kinds []faultKind) *nemesis {
	return &nemesis{c: c, t0: t0, kinds: kinds, rng: rand.New(rand.NewPCG(seed, 0x6e656d)), hold: [2]time.Duration{4 * time.Second, 4 * time.Second}}
}

// Faults returns the faults injected so far.
func (n *nemesis) Faults() []fault {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.faults)
}

// run injects faults until chaos has passed since t0, healing each one and
// waiting (up to healBound) for the cluster to notice before the next. A
// non-transitive cut, if among the kinds, comes once, last: two
// overlapping majorities with different views may both decide, so the
// history is only linearizable up to it (see analyze).
func (n *nemesis) run(ctx context.Context, chaos, healBound time.Duration) error {
	kinds := slices.DeleteFunc(slices.Clone(n.kinds), func(k faultKind) bool { return k == faultNonTransitive })
	last := len(kinds) < len(n.kinds)
	var round []faultKind
	for ctx.Err() == nil {
		var kind faultKind
		switch {
		case time.Since(n.t0) < chaos && len(kinds) > 0:
			if len(round) == 0 {
				round = slices.Clone(kinds)
				if !n.ordered {
					n.rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
				}
				n.ordered = false
			}
			kind, round = round[0], round[1:]
		case last:
			kind, last = faultNonTransitive, false
		default:
			return nil
		}
		f, err := n.apply(kind)
		if err != nil {
			return err
		}
		hold := n.hold[0] + time.Duration(n.rng.Int64N(int64(n.hold[1])))
		sleepCtx(ctx, hold)
		if err := n.heal(&f); err != nil {
			return err
		}
		d, bound, err := n.c.awaitHealthy(ctx, n.t0, healBound)
		if err == nil {
			f.Healthy = d
		}
		f.HealBound = bound
		n.mu.Lock()
		n.faults = append(n.faults, f)
		n.mu.Unlock()
		n.c.t.Logf("netfault: %v", f)
		sleepCtx(ctx, time.Second+time.Duration(n.rng.Int64N(int64(time.Second))))
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// apply puts a fault of the kind in place on nodes drawn from the PRNG,
// busiest first.
func (n *nemesis) apply(kind faultKind) (fault, error) {
	nt := n.c.net
	perm := n.rng.Perm(len(n.c.nodes))
	if n.load != nil {
		load := n.load()
		slices.SortStableFunc(perm, func(a, b int) int { return load[b] - load[a] })
	}
	f := fault{Kind: kind}
	cutGroups := func(minority []int) error {
		var rules []string
		for _, a := range minority {
			for b := range n.c.nodes {
				if !slices.Contains(minority, b) {
					rules = append(rules, nt.cutRules(a, b)...)
				}
			}
		}
		return nt.apply(rules)
	}
	var err error
	switch kind {
	case faultIsolate:
		f.Nodes = perm[:1]
		err = cutGroups(f.Nodes)
	case faultSplit:
		f.Nodes = perm[:(len(perm)-1)/2]
		err = cutGroups(f.Nodes)
	case faultFull:
		f.Nodes = slices.Clone(perm)
		var rules []string
		for i := range perm {
			for j := i + 1; j < len(perm); j++ {
				rules = append(rules, nt.cutRules(i, j)...)
			}
		}
		err = nt.apply(rules)
	case faultNonTransitive:
		f.Nodes = perm[:2]
		err = nt.apply(nt.cutRules(perm[0], perm[1]))
	case faultKill:
		f.Nodes = perm[:1]
		n.c.nodes[perm[0]].kill()
	case faultPause:
		f.Nodes = perm[:1]
		err = n.c.nodes[perm[0]].signal(syscall.SIGSTOP)
	case faultLinkDown:
		f.Nodes = perm[:1]
		err = nt.setLink(perm[0], false)
	case faultLoss:
		f.Nodes = slices.Clone(perm)
		err = nt.apply([]string{lossRule()})
	case faultImpostor:
		f.Nodes = perm[:1]
		n.c.impostor.name = n.c.nodes[perm[0]].name
		err = n.c.start(n.c.impostor)
	default:
		err = fmt.Errorf("unknown fault %q", kind)
	}
	slices.Sort(f.Nodes)
	f.Start = time.Since(n.t0)
	return f, err
}

// heal removes the fault (restarts a killed node).
func (n *nemesis) heal(f *fault) error {
	var err error
	switch f.Kind {
	case faultKill:
		err = n.c.start(n.c.nodes[f.Nodes[0]])
	case faultImpostor:
		n.c.impostor.kill()
	case faultPause:
		err = n.c.nodes[f.Nodes[0]].signal(syscall.SIGCONT)
	default:
		err = n.c.net.healAll()
	}
	f.Heal = time.Since(n.t0)
	return err
}

// errNotHealthy is returned by awaitHealthy when the bound passed.
var errNotHealthy = errors.New("cluster not healthy")

// awaitHealthy polls until every node sees every member alive, is not
// partitioned and answers an owner lookup, and returns that instant
// since t0; or errNotHealthy (with the last reason) after bound. The
// bound is written for a quiet machine and grows with the load measured
// while waiting (loadwait.Deadline: the phubd processes' timers and the
// probes run as late as the machine lets them); the bound that applied
// is returned either way, for the verdict.
func (c *cluster) awaitHealthy(ctx context.Context, t0 time.Time, bound time.Duration) (time.Duration, time.Duration, error) {
	deadline := loadwait.Start(bound)
	for {
		err := c.healthy(ctx)
		if err == nil {
			return time.Since(t0), deadline.Bound(), nil
		}
		if deadline.Passed() || ctx.Err() != nil {
			return 0, deadline.Bound(), fmt.Errorf("%w after %v (%v at load factor %.1f): %v", errNotHealthy, deadline.Bound(), bound, deadline.Factor(), err)
		}
		sleepCtx(ctx, 100*time.Millisecond)
	}
}

// healthy returns nil if every node sees every member alive, is not
// partitioned and answers an owner lookup (found or not found).
func (c *cluster) healthy(ctx context.Context) error {
	for _, nd := range c.nodes {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var m membersBody
		_, err := nd.call(cctx, "GET", "/v1/members", nil, &m)
		if err == nil {
			alive := 0
			for _, mm := range m.Members {
				if mm.Status == "alive" {
					alive++
				}
			}
			switch {
			case m.Partitioned:
				err = errors.New("partitioned")
			case alive != len(c.nodes):
				err = fmt.Errorf("sees %d of %d members alive", alive, len(c.nodes))
			}
		}
		if err == nil {
			_, err = nd.call(cctx, "GET", "/v1/children/netfault-probe?consistency=owner", nil, nil)
			var ae *apiError
			if errors.As(err, &ae) && ae.Code == "not_found" {
				err = nil
			}
		}
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", nd.name, err)
		}
	}
	return nil
}
