// Package sim is phub's deterministic simulator: a seeded, single-threaded
// discrete-event loop that drives core.Node state machines over a simulated
// network (delay, loss, duplication, reordering, full and non-transitive
// partitions), with simulated children, crashes, restarts, clock skew and
// slow nodes. One seed determines the whole run: the same seed and code give
// the same trace, byte for byte (TraceHash).
package sim

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// NetConfig describes the simulated network.
type NetConfig struct {
	MinDelay, MaxDelay time.Duration
	// Loss, Dup and Reorder are probabilities per message.
	Loss, Dup, Reorder float64
}

// Options configure a simulation.
type Options struct {
	Seed uint64
	// Configure adjusts each node's config (called with DefaultConfig-based
	// fast timings already set). Optional.
	Configure func(*core.Config)
	Net       NetConfig
	// ChildStartDelay is how long a simulated child takes to start.
	ChildStartDelay time.Duration
	// ChildStartLatency, if set, adds to each start a latency drawn
	// from the seed, up to this much (startlatency.go).
	ChildStartLatency time.Duration
	// ChildExitDelay, if set, makes each stopped child run on for a time
	// drawn from the seed, up to this much (for one stop in eight, up to
	// eight times as much) before it exits (slowexit.go); 0 or less: it
	// exits at once (RunSeed draws 0 as 3 ticks).
	ChildExitDelay time.Duration
	// Trace, if set, receives the text trace.
	Trace io.Writer
	// ProductionTiming runs nodes with core.DefaultConfig's timings (50 ms
	// ticks, 500 ms heartbeats, 15 s anti-entropy) instead of FastTiming.
	ProductionTiming bool
	// BatchInputs models each node as an event loop that spends InputCost
	// per input and feeds inputs that queued meanwhile as one core batch
	// (BeginBatch/EndBatch), like the runtime.
	BatchInputs bool
	InputCost   time.Duration
	// Record keeps structured trace events (Events) for timelines.
	Record bool
	// Skew gives nodes a constant clock offset from their first boot
	// (clock skew between machines). SetSkew at runtime is a clock jump.
	Skew map[core.NodeID]time.Duration
	// Start is the virtual wall time the clock starts at (default
	// DefaultStart, a realistic Unix time).
	Start core.Instant
	// Drift gives nodes a monotonic clock rate of 1+Drift[n] (clock-rate
	// drift; strict mode's leases assume |drift| <= MaxDrift).
	Drift map[core.NodeID]float64
	// Profile, if set, gives every node its timings (tick, heartbeat,
	// DownAfter, sync interval, tombstone TTL, forget-after, retention,
	// restart window) instead of FastTiming; Configure runs after it.
	Profile *Profile
	// Durable runs every node in durable mode with a simulated
	// crash-consistent disk (disk.go): a crashed node recovers its
	// persisted state, so any set of nodes — all of them — may crash.
	Durable bool
	// DiskLies makes every simulated disk acknowledge syncs and keep
	// nothing (a store that lies about fsync). Test-only: it proves the
	// durable class's checks catch lost state.
	DiskLies bool
	// onEffect, if set (internal tests), sees each effect as the
	// simulator applies it, with the node's core as that step left it.
	onEffect func(s *Sim, node core.NodeID, e core.Effect)
	// Detector, if set, gives every node that failure detector
	// (core.Membership.Detector: the SWIM detector with core.Swim).
	Detector core.DetectorKind
	// Nodes, if positive, replaces the node count a seed draws (3–5):
	// RunSeed on 20–50 nodes, with the seed's faults and checks.
	Nodes int
}

// checkInvariants: nodes check their internal invariants after every
// input (core.Config.CheckInvariants; the O(size) checks paced, see
// core's invariantSampler). On unless PHUB_SIM_INVARIANTS=0, which exists
// to measure what the checks cost.
var checkInvariants = os.Getenv("PHUB_SIM_INVARIANTS") != "0"

// FastTiming returns protocol timings scaled for simulation: 10 ms ticks,
// 50 ms heartbeats, down after 300 ms, retries after 100 ms, a 3 s
// request timeout, tombstones for 2 min and down members for 5 min.
func FastTiming() core.Timing {
	return core.Timing{TickInterval: 10 * time.Millisecond, HeartbeatInterval: 50 * time.Millisecond,
		DownAfter: 300 * time.Millisecond, RetryInterval: 100 * time.Millisecond, RequestTimeout: 3 * time.Second,
		TombstoneTTL: 2 * time.Minute, ForgetDownAfter: 5 * time.Minute}
}

// Sim is one simulated cluster.
type Sim struct {
	opts  Options
	rng   *rand.Rand
	now   core.Instant
	start core.Instant
	// idleTick, when non-zero, is the coarse tick of a fast-forward.
	idleTick time.Duration
	queue    eventQueue
	// freeDeliveries and freeReports hold delivered messages and fed
	// child reports for reuse (drive.go).
	freeDeliveries []*delivery
	freeReports    []*childReport
	seq            uint64
	nodes          map[core.NodeID]*simNode
	names          []core.NodeID
	blocked        map[[2]core.NodeID]bool
	hasher         hash.Hash64
	events         int
	// oversize counts messages over the sender's MaxMessageBytes
	oversize int
	// sentMsgs and sentBytes count every message a node sent (lost ones
	// included) and its encoded size (see Traffic)
	sentMsgs, sentBytes int
	// sentKind and sentKindBytes split them by message kind (TrafficOf).
	sentKind, sentKindBytes map[core.MsgKind]int
	// claimOrder is checkClaimHooks' buffer, reused from batch to batch
	// (a new one per batch was a tenth of the simulator's allocations).
	claimOrder []claimRef
	// claimSlab: hookClaims not yet handed out (newHookClaim)
	claimSlab []hookClaim

	history   checks.History
	instances []*checks.Instance
	clients   map[uint64]*clientReq
	nextReq   uint64
	nextCli   int
	hooks     map[core.HookKind]int
	replies   map[uint64]core.Reply
	stopped   map[core.ChildID]core.Instant // acknowledged stops

	// Buggify: named rare-path faults, each enabled per run; Hits counts
	// how often each fired so sweeps can assert they were reached.
	buggify map[string]float64
	hits    map[string]int

	// minority windows opened by Partition, closed by Heal
	minority []checks.MinorityWindow

	recorded []TraceEvent
	lineBuf  []byte // tracef's reused line buffer
	// propNewest is the start of the newest instance the propagation
	// sampler checked (samples keep only unlisted ones).
	propNewest int64

	// coverage points reached (see coverage.go)
	covered map[string]int
	// handovers in flight: child -> instance asked for its state
	handovers map[core.ChildID]uint64
	// batched handovers and acknowledgements in flight per link
	// (handover_batch.go)
	batchesInFlight map[batchLink]int
	// routed requests delivered, to spot retransmissions
	delivered map[reqDelivery]bool
	// deliveries counts the deliveries of each routed request (every
	// retransmission, forward and duplicate), maxDeliveries the most
	// delivered one (checked by checkRetransmissions).
	deliveries    map[routedReq]int
	maxDeliveries maxDeliveries
	// guided: starts get a child mapping (workload_wide.go);
	// invalidGuided names the requests given an invalid one, and
	// guidedViolations collects the ones not refused as they must be.
	guided           bool
	guidedNodes      map[core.ChildID][]core.NodeID
	invalidGuided    map[uint64]bool
	guidedViolations []checks.Violation
	// raceRng draws raced guided starts, guidedOKs the acknowledged
	// guided starts (guided_race.go); pinRng draws guided children's
	// nodes and invalid mappings (workload_wide.go).
	raceRng   *rand.Rand
	pinRng    *rand.Rand
	racing    bool
	guidedOKs []guidedOK
	// child crashes and whether the node restarted the child
	crashObs []checks.ChildCrash
	// states handed over by old instances, by child and source epoch
	handedOver map[core.ChildID][]handedState
	// completed hot-swap handovers (checked by checks.HandoverState)
	handoversDone []checks.Handover
	// start latencies and hot-swap stops (startlatency.go)
	latency startLatency
	// exitRng draws stopped children's exit delays; health records when
	// the cluster was not healthy, for checks.ColdSwapGap, counting a
	// disturbance for healthMargin after it (slowexit.go; 0: untracked).
	exitRng      *rand.Rand
	health       health
	healthMargin time.Duration
	// child faults while a start is in flight (faults_starting.go)
	startFaults startFaults
	// registry samples of calm phases (propagation bound)
	propSamples []propagationSample
	// children some node gave up (restart intensity, temporary exits)
	gone map[core.ChildID]bool
	// answered which_children_global requests
	whichObs []checks.WhichGlobal
	// state handed over by leaving nodes, and whether anything could
	// legitimately lose it (lossy network, cuts, node crashes)
	leaveHandovers []checks.Handover
	lossy          bool
	// hook sequences that contradict the registry (checked as they fire)
	hookViolations []checks.Violation
	// tenures: a counter, and the tenure a crash-restart continues
	tenures    uint64
	restarting uint64
	// node crashes and client replies, for the availability figures
	// (availability.go)
	crashes          []crashRecord
	leaves           []crashRecord // graceful leaves asked for (availability)
	replied, refused int
	// sweepRepairsGone sums the sweep repairs of the incarnations a boot
	// replaced (sweeprepairs.go)
	sweepRepairsGone int
}

type reqDelivery struct {
	to, from core.NodeID
	inc, seq uint64
}

type handedState struct {
	node     core.NodeID
	instance uint64
	state    string
}

// TraceEvent is one structured trace event (kept when Options.Record).
// Kind is the first word of its trace line: boot, crash, leave, left,
// partition, cut, heal, net, recv, effect, batch, oversize, request,
// reply, buggify, crash-child, fast-forward, disk, recover, full-cluster.
// Node is the node concerned (for cut, one end of the link, Peer the
// other); for recv, Peer is the sender, Msg the message kind and SentAt
// the send instant (oversize: the intended receiver and the kind); Failed
// marks a reply with an error. Text is the rest of the trace line (Line).
type TraceEvent struct {
	At     int64  `json:"at"`
	Kind   string `json:"kind"`
	Node   string `json:"node,omitempty"`
	Peer   string `json:"peer,omitempty"`
	Msg    string `json:"msg,omitempty"`
	SentAt int64  `json:"sentAt,omitempty"`
	Failed bool   `json:"failed,omitempty"`
	Text   string `json:"text,omitempty"`
}

// Line returns the event's trace line, "AT KIND[ TEXT]\n": what
// Options.Trace receives and TraceHash hashes.
func (ev TraceEvent) Line() string {
	line := strconv.FormatInt(ev.At, 10) + " " + ev.Kind
	if ev.Text != "" {
		line += " " + ev.Text
	}
	return line + "\n"
}

// Recorded returns the structured events (empty unless Options.Record).
func (s *Sim) Recorded() []TraceEvent { return s.recorded }

type simNode struct {
	// exits are exit reports of this instant waiting to be fed as one
	// batch (queueExit).
	exits    []queuedExit
	name     core.NodeID
	node     *core.Node
	up       bool
	inc      uint64
	skew     time.Duration
	slow     time.Duration // extra processing delay per message
	children map[core.ChildID]*simChild
	cfg      core.Config
	// disk is the node's simulated disk (Options.Durable); it outlives
	// the node's incarnations
	disk *disk
	// diskFullUntil: the disk is full until then (a storage fault)
	diskFullUntil core.Instant
	// starting counts children whose start report is pending
	starting int
	// leaving: a graceful leave was asked of this incarnation
	leaving bool
	// hookClaims is what this incarnation's insert/remove hooks said
	// about each (claiming node, child): present, absent or unknown;
	// claimBatch stamps the batch checkClaimHooks is checking
	hookClaims map[core.NodeID]map[core.ChildID]*hookClaim
	claimBatch uint64
	// last observed table sizes and quorum state (coverage)
	stats core.Stats
	left  bool // finished a graceful leave
	// addedAt is when the node first booted (minority.go)
	addedAt core.Instant
	// member: the node, joined after the start, has been linked with a
	// majority of the settled members for a join window; inContact: it is
	// linked so since contactSince (minority.go)
	member       bool
	inContact    bool
	contactSince core.Instant

	// strict mode and process pauses (strict.go)
	drift       float64
	pausedUntil core.Instant
	pauseQ      []func()
	fence       core.Mono
	// exiting: stopped instances still running (slowexit.go)
	exiting []*exitingChild

	// BatchInputs: queued inputs and the loop's busy horizon
	queue          []func()
	flushScheduled bool
	busyUntil      core.Instant
}

type simChild struct {
	id       core.ChildID
	instance uint64
	epoch    uint64
	// state is the instance's state unless fresh: a fresh instance's
	// state is freshState(id, node, inc, instance), made when first
	// asked (stateNow), not at every start (7% of BenchmarkSim5Nodes's
	// allocations went to states no handover ever read).
	state []byte
	fresh bool
	node  core.NodeID
	inc   uint64
	truth *checks.Instance
	// own holds truth for an instance started here (truth points to it;
	// Sim.instances too): one allocation per start, not two.
	own  checks.Instance
	spec core.ChildSpec
	// tenure: the local life this instance belongs to (restarts keep it)
	tenure uint64
}

type clientReq struct {
	id     uint64
	node   core.NodeID
	client int
	call   core.Instant
	req    core.Request
	// peers the node saw when asked (which_children_global)
	peers []string
}

// New returns an empty simulation.
func New(opts Options) *Sim {
	if opts.Net.MaxDelay == 0 {
		opts.Net.MinDelay, opts.Net.MaxDelay = time.Millisecond, 5*time.Millisecond
	}
	if opts.ChildStartDelay == 0 {
		opts.ChildStartDelay = 2 * time.Millisecond
	}
	if opts.Start == 0 {
		opts.Start = DefaultStart
	}
	s := &Sim{
		opts:    opts,
		rng:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
		nodes:   map[core.NodeID]*simNode{},
		blocked: map[[2]core.NodeID]bool{},
		hasher:  fnv.New64a(),
		clients: map[uint64]*clientReq{},
		hooks:   map[core.HookKind]int{},
		replies: map[uint64]core.Reply{},
		stopped: map[core.ChildID]core.Instant{},
		now:     opts.Start,
		start:   opts.Start,
		buggify: map[string]float64{},
		hits:    map[string]int{},

		covered:       map[string]int{},
		handovers:     map[core.ChildID]uint64{},
		delivered:     map[reqDelivery]bool{},
		deliveries:    map[routedReq]int{},
		invalidGuided: map[uint64]bool{},
		guidedNodes:   map[core.ChildID][]core.NodeID{},
		handedOver:    map[core.ChildID][]handedState{},
		gone:          map[core.ChildID]bool{},
	}
	return s
}

// Buggify sites.
const (
	// SiteCrashAfterAck crashes an owner in the batch that acknowledges a
	// request; the other messages of that batch are lost with p=0.5.
	SiteCrashAfterAck = "crash-after-ack"
	// SiteProbeAfterRestart sends owner lookups to a node right after it
	// restarts (clients hammering a node that just came back).
	SiteProbeAfterRestart = "probe-after-restart"
	// SiteIsolateDuringHandover cuts a node off from every other node
	// the moment it is asked to hand a child's state over (hot swap), for
	// twice the retention: the handover races a partition and the
	// retention bound expires.
	SiteIsolateDuringHandover = "isolate-during-handover"
	// SiteCrashBeforeSync crashes a durable node after it wrote a Ready's
	// Persist batch and before it synced it: the batch's outputs are never
	// released, and a random prefix of the unsynced writes survives.
	SiteCrashBeforeSync = "crash-before-sync"
)

// StopBuggify disables every buggify site (faults end at the heal).
func (s *Sim) StopBuggify() { s.buggify = map[string]float64{} }

// Buggify enables a site with probability p per opportunity.
func (s *Sim) Buggify(site string, p float64) { s.buggify[site] = p }

// Hits returns how often each buggify site fired.
func (s *Sim) Hits() map[string]int { return s.hits }

func (s *Sim) fire(site string) bool {
	p := s.buggify[site]
	if p <= 0 || s.rng.Float64() >= p {
		return false
	}
	s.hits[site]++
	s.tracef(TraceEvent{Kind: "buggify"}, "%s", site)
	return true
}

// Now returns the virtual time.
func (s *Sim) Now() core.Instant { return s.now }

// Elapsed returns the virtual time since the simulation started.
func (s *Sim) Elapsed() time.Duration { return s.now.Sub(s.start) }

// FastForward runs d of virtual time in which every node ticks only every
// tick (coarse, e.g. a quarter of DownAfter) instead of its TickInterval:
// heartbeats still arrive in time, so an idle cluster covers minutes or
// hours of simulated time for a few thousand events, and every timer of
// the protocol (tombstone TTL, forgetting down members) expires.
// Meant for idle stretches: requests in flight are served at that pace.
func (s *Sim) FastForward(d, tick time.Duration) {
	s.tracef(TraceEvent{Kind: "fast-forward"}, "%v tick=%v", d, tick)
	s.noteFastForward(d) // slowexit.go
	s.idleTick = tick
	s.RunFor(d)
	s.idleTick = 0
}

// TraceHash returns the hash of every event so far.
func (s *Sim) TraceHash() uint64 { return s.hasher.Sum64() }

// Events returns how many events have run.
func (s *Sim) Events() int { return s.events }

// tracef completes ev (the current instant, Text from format and args),
// adds its line to the trace hash and Options.Trace and, with
// Options.Record, keeps it.
func (s *Sim) tracef(ev TraceEvent, format string, args ...any) {
	s.noteHealth(&ev) // slowexit.go
	b, mark := s.traceBegin(&ev)
	s.traceEnd(ev, fmt.Appendf(b, format, args...), mark)
}

// traceBegin sets ev.At and starts its line in the reused buffer: the
// instant, the kind and a space; mark is where the text's separator is.
// A hot trace line appends its text without fmt and calls traceEnd.
func (s *Sim) traceBegin(ev *TraceEvent) (b []byte, mark int) {
	ev.At = int64(s.now)
	// The line is built in a reused buffer, byte for byte what ev.Line()
	// returns (the hash is the same), without a string per event: the
	// sweep only hashes (this was ~9% of go test ./sim's CPU).
	b = strconv.AppendInt(s.lineBuf[:0], ev.At, 10)
	b = append(b, ' ')
	b = append(b, ev.Kind...)
	mark = len(b)
	return append(b, ' '), mark
}

// traceEnd completes the line b that traceBegin started (text appended)
// and hashes, writes and records it as tracef describes.
func (s *Sim) traceEnd(ev TraceEvent, b []byte, mark int) {
	if len(b) == mark+1 {
		b = b[:mark] // empty text: no separator
	}
	b = append(b, '\n')
	s.lineBuf = b
	s.hasher.Write(b)
	if s.opts.Trace != nil {
		s.opts.Trace.Write(b)
	}
	if s.opts.Record {
		if len(b) > mark+1 {
			ev.Text = string(b[mark+1 : len(b)-1])
		}
		s.recorded = append(s.recorded, ev)
	}
}

// --- event queue ---

// event is one scheduled function; events run in (at, seq) order, a
// total order (seq is unique), so the queue's layout never shows.
type event struct {
	at  core.Instant
	seq uint64
	run func()
	dlv *delivery    // a message to deliver (run is nil), drive.go
	rep *childReport // a child's report to feed (run is nil), drive.go
}

// eventQueue is a binary min-heap of events by (at, seq), held by value:
// no allocation per event and no interface calls (a heap of *event
// through container/heap allocated every event, ~9% of
// BenchmarkSim5Nodes's allocations).
type eventQueue []event

func (q eventQueue) Len() int { return len(q) }

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// push adds e.
func (q *eventQueue) push(e event) {
	h := append(*q, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	*q = h
}

// pop removes and returns the first event; the queue must not be empty.
func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{} // the backing array keeps no closure alive
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

func (s *Sim) at(t core.Instant, f func()) {
	s.seq++
	s.queue.push(event{at: t, seq: s.seq, run: f})
}

func (s *Sim) after(d time.Duration, f func()) { s.at(s.now.Add(d), f) }

// RunFor runs events for d of virtual time.
func (s *Sim) RunFor(d time.Duration) {
	end := s.now.Add(d)
	for s.queue.Len() > 0 && s.queue[0].at <= end {
		e := s.queue.pop()
		s.now = e.at
		s.events++
		switch {
		case e.dlv != nil:
			s.deliver(e.dlv)
		case e.rep != nil:
			s.reportChild(e.rep)
		default:
			e.run()
		}
	}
	s.now = end
}

// --- nodes ---

// NodeNames returns the names of every node ever added, sorted.
func (s *Sim) NodeNames() []core.NodeID { return append([]core.NodeID(nil), s.names...) }

// Up reports whether a node is running.
func (s *Sim) Up(name core.NodeID) bool { n := s.nodes[name]; return n != nil && n.up }

// LiveNodes returns the running nodes, sorted.
func (s *Sim) LiveNodes() []core.NodeID {
	var out []core.NodeID
	for _, n := range s.names {
		if s.nodes[n].up {
			out = append(out, n)
		}
	}
	return out
}

// Node returns the core node of name (nil if never added).
func (s *Sim) Node(name core.NodeID) *core.Node {
	if n := s.nodes[name]; n != nil {
		return n.node
	}
	return nil
}

// AddNode starts a new node that joins through the existing nodes.
func (s *Sim) AddNode(name core.NodeID) error {
	if _, ok := s.nodes[name]; ok {
		return fmt.Errorf("node %s exists", name)
	}
	sn := &simNode{name: name, children: map[core.ChildID]*simChild{}, skew: s.opts.Skew[name], disk: newDisk(), drift: s.opts.Drift[name], addedAt: s.now}
	sn.disk.lies = s.opts.DiskLies
	s.nodes[name] = sn
	i, _ := slices.BinarySearch(s.names, name)
	s.names = slices.Insert(s.names, i, name) // sorted: one insert, not a sort per node added
	return s.boot(sn)
}

func (s *Sim) boot(sn *simNode) error {
	sn.inc++
	cfg := core.DefaultConfig(sn.name)
	s.observeBoot(sn)
	cfg.Incarnation = sn.inc
	cfg.RandSeed = s.rng.Uint64()
	cfg.OmitRegistryChanges = true // the simulator reads nodes directly
	// Every node checks its internal invariants after each input (the
	// O(1) ones always, the O(size) ones paced) and panics at the first
	// broken one, so a failing seed stops at or within a few inputs of
	// the one that broke the state.
	cfg.CheckInvariants = checkInvariants
	switch {
	case s.opts.Profile != nil:
		s.opts.Profile.apply(&cfg)
	case !s.opts.ProductionTiming:
		cfg.Timing = FastTiming()
		cfg.Sync.Interval = time.Second
	}
	if len(s.names) > 1 {
		cfg.Seeds = make([]core.NodeID, 0, len(s.names)-1)
	}
	for _, n := range s.names {
		if n != sn.name {
			cfg.Seeds = append(cfg.Seeds, n)
		}
	}
	if s.opts.Detector != "" {
		cfg.Membership.Detector = s.opts.Detector
	}
	if s.opts.Configure != nil {
		s.opts.Configure(&cfg)
	}
	node, err := s.newNode(sn, cfg)
	if err != nil {
		return err
	}
	if sn.node != nil {
		s.sweepRepairsGone += sn.node.Stats().SweepRepairs // sweeprepairs.go
	}
	sn.node, sn.up, sn.cfg, sn.left, sn.leaving = node, true, cfg, false, false
	sn.fence, sn.pausedUntil, sn.pauseQ = core.NoLease, 0, nil
	sn.hookClaims = map[core.NodeID]map[core.ChildID]*hookClaim{}
	s.tracef(TraceEvent{Kind: "boot", Node: string(sn.name)}, "%s inc=%d", sn.name, sn.inc)
	s.noteBack(sn.name) // availability.go
	s.noteContacts()    // minority.go
	s.drain(sn)
	inc := sn.inc
	var tick func()
	tick = func() {
		if !sn.up || sn.inc != inc {
			return
		}
		if s.paused(sn) {
			// A paused process ticks again once it wakes.
			s.at(sn.pausedUntil.Add(1), tick)
			return
		}
		sn.node.Tick(s.localTime(sn))
		s.drain(sn)
		s.observeTick(sn)
		s.after(max(cfg.Timing.TickInterval, s.idleTick), tick)
	}
	s.after(time.Duration(s.rng.Int64N(int64(cfg.Timing.TickInterval)))+1, tick)
	return nil
}

// localTime is a node's wall clock; reading it for an input also hands
// the node its monotonic clock (core.Node.SetMono), as the runtime does.
func (s *Sim) localTime(sn *simNode) core.Instant {
	if sn.node != nil {
		sn.node.SetMono(s.mono(sn))
	}
	return s.now.Add(sn.skew)
}

// Crash stops a node abruptly: its children die, its messages in flight
// are lost, pending client requests get unknown outcomes.
func (s *Sim) Crash(name core.NodeID) {
	sn := s.nodes[name]
	if sn == nil || !sn.up {
		return
	}
	s.tracef(TraceEvent{Kind: "crash", Node: string(name)}, "%s", name)
	s.lossy = true // a crash can lose a handover in flight
	midStart := sn.starting > 0
	for _, id := range s.sortedClientIDs() {
		if c := s.clients[id]; c.node == name && c.req.Op == core.OpStart {
			midStart = true
		}
	}
	if midStart {
		s.cover(CoverCrashMidStart)
	}
	sn.up = false
	sn.starting = 0
	s.noteContacts() // minority.go
	if s.opts.Durable {
		if lost := len(sn.disk.unsynced); lost > 0 {
			kept := sn.disk.crash(s.rng)
			s.tracef(TraceEvent{Kind: "disk", Node: string(name)}, "%s: %d of %d unsynced writes reached the disk", name, kept, lost)
			if kept < lost {
				s.cover(CoverUnsyncedLost)
			}
		}
	}
	s.crashes = append(s.crashes, crashRecord{node: name, at: s.now, downAfter: sn.cfg.Timing.DownAfter, retry: sn.cfg.Timing.RetryInterval})
	s.crashHitsBatches(name) // handover_batch.go
	s.killChildren(sn)
	for _, id := range s.sortedClientIDs() {
		c := s.clients[id]
		if c.node == name {
			s.finishUnknown(c)
		}
	}
}

// Restart boots a crashed node as a new incarnation.
func (s *Sim) Restart(name core.NodeID) error {
	sn := s.nodes[name]
	if sn == nil || sn.up {
		return fmt.Errorf("node %s is not down", name)
	}
	if err := s.boot(sn); err != nil {
		return err
	}
	if s.fire(SiteProbeAfterRestart) {
		for i := 0; i < 6; i++ {
			id := core.ChildID(fmt.Sprintf("c%d", s.rng.IntN(12)))
			s.after(time.Duration(1+i)*time.Millisecond, func() {
				for _, n := range s.LiveNodes() {
					if n != name {
						s.Request(n, core.Request{Op: core.OpLookup, IDs: []core.ChildID{id}, Consistency: core.Owner})
						return
					}
				}
			})
		}
	}
	return nil
}

// Leave starts a graceful leave of a node; it stops once core reports Left.
func (s *Sim) Leave(name core.NodeID) {
	sn := s.nodes[name]
	if sn == nil || !sn.up {
		return
	}
	if s.paused(sn) {
		return // a paused process cannot be asked to leave
	}
	s.tracef(TraceEvent{Kind: "leave", Node: string(name)}, "%s", name)
	s.leaves = append(s.leaves, crashRecord{node: name, at: s.now})
	sn.leaving = true
	sn.node.Leave(s.localTime(sn))
	s.drain(sn)
}

func (s *Sim) killChildren(sn *simNode) {
	for _, id := range sortedChildIDs(sn.children) {
		s.endInstance(sn, id)
	}
	s.endAllExiting(sn) // slowexit.go
}

func (s *Sim) endInstance(sn *simNode, id core.ChildID) {
	c := sn.children[id]
	if c == nil {
		return
	}
	c.truth.End = int64(s.now)
	delete(sn.children, id)
}

// SetSkew sets a node's clock offset at runtime: a clock jump (or, forward,
// the effect of a process pause) that can cause false suspicion.
func (s *Sim) SetSkew(name core.NodeID, d time.Duration) {
	if sn := s.nodes[name]; sn != nil {
		sn.skew = d
		s.noteHealth(&TraceEvent{Kind: "skew", Node: string(name)}) // a clock jump (slowexit.go)
	}
}

// SetSlow adds d of delay to every message a node receives.
func (s *Sim) SetSlow(name core.NodeID, d time.Duration) {
	if sn := s.nodes[name]; sn != nil {
		sn.slow = d
	}
}

// Partition cuts every link between the groups (both directions). Nodes
// in no group keep their links.
func (s *Sim) Partition(groups ...[]core.NodeID) {
	var desc []string
	for i, g := range groups {
		desc = append(desc, fmt.Sprint(g))
		for j, h := range groups {
			if i == j {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					s.blocked[[2]core.NodeID{a, b}] = true
				}
			}
		}
	}
	s.tracef(TraceEvent{Kind: "partition"}, "%s", strings.Join(desc, "|"))
	s.lossy = true
	if len(s.handovers) > 0 {
		s.cover(CoverPartitionDuringHandover)
	}
	s.cutHitsBatches()            // handover_batch.go
	s.openMinorityWindows(groups) // minority.go
}

// MinorityWindows returns the spans during which a node was cut off in a
// minority by Partition.
func (s *Sim) MinorityWindows() []checks.MinorityWindow {
	return append([]checks.MinorityWindow(nil), s.minority...)
}

// Cut blocks the link between a and b in both directions (non-transitive
// partitions are built from cuts).
func (s *Sim) Cut(a, b core.NodeID) {
	s.blocked[[2]core.NodeID{a, b}] = true
	s.blocked[[2]core.NodeID{b, a}] = true
	s.tracef(TraceEvent{Kind: "cut", Node: string(a), Peer: string(b)}, "%s %s", a, b)
	s.noteContacts() // minority.go
	s.lossy = true
	if len(s.handovers) > 0 {
		s.cover(CoverPartitionDuringHandover)
	}
	s.cutHitsBatches() // handover_batch.go
}

// Connected reports whether messages from a reach b (no cut between).
func (s *Sim) Connected(a, b core.NodeID) bool { return !s.blocked[[2]core.NodeID{a, b}] }

// Heal restores every link.
func (s *Sim) Heal() {
	s.blocked = map[[2]core.NodeID]bool{}
	s.tracef(TraceEvent{Kind: "heal"}, "")
	s.noteContacts() // minority.go
	if s.runningDuplicates() {
		s.cover(CoverHealWithDuplicates)
	}
	for i := range s.minority {
		if s.minority[i].End < 0 {
			s.minority[i].End = int64(s.now)
		}
	}
}

// SetNet changes the network fault parameters.
func (s *Sim) SetNet(n NetConfig) {
	if n.MaxDelay == 0 {
		n.MinDelay, n.MaxDelay = s.opts.Net.MinDelay, s.opts.Net.MaxDelay
	}
	s.opts.Net = n
	if n.Loss > 0 {
		s.lossy = true
	}
	s.tracef(TraceEvent{Kind: "net"}, "loss=%.2f dup=%.2f reorder=%.2f", n.Loss, n.Dup, n.Reorder)
}

func sortedChildIDs[V any](m map[core.ChildID]V) []core.ChildID {
	out := make([]core.ChildID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
