package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// Options choose what to measure.
type Options struct {
	// Runs per figure (min/median/max are reported).
	Runs int
	// StartSizes are the awaited-start sizes (default 1k, 10k, 100k).
	StartSizes []int
	// Out receives the report.
	Out io.Writer
	// StartOnly skips the redistribution, lookup and memory figures.
	StartOnly bool
	// GoroutineChildren starts children that run on a goroutine each
	// (GoroutineKind) in the start/stop figures, instead of IdleChild
	// ones (NoopKind).
	GoroutineChildren bool
	// Verbose prints every run's request and round counters.
	Verbose bool
	// MemProfile, if set, is the path prefix of heap profiles the
	// start/stop figures write at each size's first run (memprofile.go):
	// <prefix>-<n>-half.pprof once the starting node's index holds half
	// the children, <prefix>-<n>-full.pprof once every registry holds
	// them all.
	MemProfile string
}

// MemoryPoint is the registry memory per entry of one core node holding
// Children entries with their claims.
type MemoryPoint struct {
	Children      int
	BytesPerEntry float64
}

// MemoryCurve measures the registry memory per entry at each size, once
// (heap bytes do not depend on the machine's load).
func MemoryCurve(sizes []int) []MemoryPoint {
	out := make([]MemoryPoint, 0, len(sizes))
	for _, n := range sizes {
		out = append(out, MemoryPoint{Children: n, BytesPerEntry: registryBytesPerEntry(n)})
	}
	return out
}

// Figure is one measured quantity over several runs.
type Figure struct {
	Name    string
	Unit    string
	Samples []float64
}

// Stats returns min, median and max.
func (f Figure) Stats() (lo, med, hi float64) {
	s := append([]float64(nil), f.Samples...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0, 0, 0
	}
	return s[0], s[len(s)/2], s[len(s)-1]
}

func (f Figure) String() string {
	lo, med, hi := f.Stats()
	return fmt.Sprintf("%-58s median %10.2f %-6s (min %.2f, max %.2f, %d runs)", f.Name, med, f.Unit, lo, hi, len(f.Samples))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Run measures every figure and writes the report to o.Out.
func Run(o Options) ([]Figure, error) {
	o = o.withDefaults()
	var figs []Figure
	emit := o.emitter(&figs)
	// Memory first: later figures leave clusters shutting down in the
	// background, whose freed memory would skew a heap difference.
	mem := Figure{Name: "registry memory per entry per node (core registry + claims)", Unit: "B"}
	for r := 0; r < o.Runs; r++ {
		mem.Samples = append(mem.Samples, registryBytesPerEntry(100000))
	}
	emit(mem)
	for _, n := range o.StartSizes {
		ack, all := Figure{Name: fmt.Sprintf("start %d children, awaited (reply)", n), Unit: "ms"}, Figure{Name: fmt.Sprintf("start %d children, awaited, until every registry holds them", n), Unit: "ms"}
		stop := Figure{Name: fmt.Sprintf("stop %d children, awaited, until every registry is empty", n), Unit: "ms"}
		mem := Figure{Name: fmt.Sprintf("memory per node holding %d children (heap + stacks / 3)", n), Unit: "MiB"}
		look := Figure{Name: fmt.Sprintf("local lookup among %d children, one goroutine", n), Unit: "ns/op"}
		allocs := Figure{Name: fmt.Sprintf("allocations per child, start of %d (3 nodes, load-independent)", n), Unit: "allocs"}
		stopAllocs := Figure{Name: fmt.Sprintf("allocations per child, stop of %d (3 nodes, load-independent)", n), Unit: "allocs"}
		resentSub := Figure{Name: fmt.Sprintf("children resent in requests per child, start+stop of %d", n), Unit: "x"}
		resentRound := Figure{Name: fmt.Sprintf("entries resent in rounds per child, start+stop of %d", n), Unit: "x"}
		for r := 0; r < o.Runs; r++ {
			prof := ""
			if r == 0 {
				prof = o.MemProfile
			}
			m, err := startStopProfiled(n, r, o.childKind(), startStopDownAfter(n), prof)
			if err != nil {
				return figs, fmt.Errorf("start/stop %d: %w", n, err)
			}
			ack.Samples, all.Samples, stop.Samples = append(ack.Samples, ms(m.ack)), append(all.Samples, ms(m.all)), append(stop.Samples, ms(m.stop))
			mem.Samples, look.Samples = append(mem.Samples, m.perNodeMiB), append(look.Samples, m.lookupNs)
			allocs.Samples = append(allocs.Samples, m.allocsPerChild)
			stopAllocs.Samples = append(stopAllocs.Samples, m.stopAllocsPerChild)
			resentSub.Samples = append(resentSub.Samples, m.resent.itemsPerChild)
			resentRound.Samples = append(resentRound.Samples, m.resent.entriesPerChild)
			if o.Verbose {
				fmt.Fprintf(o.Out, "  run %d of %d children: start %.2f ms (polled %.2f), stop %.2f ms (polled %.2f); %s\n",
					r+1, n, ms(m.all), ms(m.allPolled), ms(m.stop), ms(m.stopPolled), m.resent)
			}
		}
		emit(ack)
		emit(all)
		emit(stop)
		emit(mem)
		emit(look)
		emit(allocs)
		emit(stopAllocs)
		emit(resentSub)
		emit(resentRound)
	}
	if o.StartOnly {
		return figs, nil
	}
	if err := emitRedistribution(o, "10000 children, 3 -> 4 nodes, until every registry matches the ring", "redistribution", nil, emit); err != nil { // redistswap.go
		return figs, err
	}
	if err := emitRedistribution(o, "10000 children, 3 -> 4 nodes, hot swap with handover", "redistribution, hot swap", hotSwap, emit); err != nil {
		return figs, err
	}
	look := Figure{Name: fmt.Sprintf("local lookup, parallel over %d goroutines", runtime.GOMAXPROCS(0)), Unit: "ns/op"}
	look1 := Figure{Name: "local lookup, one goroutine", Unit: "ns/op"}
	for r := 0; r < o.Runs; r++ {
		p, s, err := lookups(10000)
		if err != nil {
			return figs, err
		}
		look.Samples, look1.Samples = append(look.Samples, p), append(look1.Samples, s)
	}
	emit(look1)
	emit(look)
	return figs, nil
}

// startStopFigures are one run of startStop.
type startStopFigures struct {
	ack, all, stop time.Duration
	// allPolled and stopPolled are all and stop as the 200 µs poll saw
	// them (printed with --v): the poll's granularity and wake-up
	// latency on top of the exact figures.
	allPolled, stopPolled time.Duration
	// perNodeMiB is the process's heap and goroutine stacks grown by the
	// start, divided by the 3 nodes it hosts.
	perNodeMiB float64
	lookupNs   float64
	// allocsPerChild counts the process's heap allocations from the start
	// request until every registry holds the children, per child: work
	// that does not depend on the machine's load (the waiting polls
	// allocate a little per poll, so a slow run counts slightly more).
	allocsPerChild float64
	// stopAllocsPerChild counts the same from the stop request until
	// every registry is empty.
	stopAllocsPerChild float64
	// resent sums what the nodes sent again over the start and the stop
	// (counted, load-dependent: a resend is due when an answer is slow).
	resent resentFigures
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

func heapAndStacks() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// startStopDown starts n children with await on a fresh 3-node cluster
// whose Timing.DownAfter is downAfter (0: the default) and measures the
// reply, the time until every registry holds them, the memory and a local
// lookup with them running, and then an awaited stop until every registry
// is empty.
func startStopDown(n, run int, kind string, downAfter time.Duration) (f startStopFigures, err error) {
	return startStopProfiled(n, run, kind, downAfter, "")
}

// startStopProfiled is startStopDown writing heap profiles with the path
// prefix prof (none if empty; memprofile.go).
func startStopProfiled(n, run int, kind string, downAfter time.Duration, prof string) (f startStopFigures, err error) {
	c, err := newClusterIn(3, "", downAfter)
	if err != nil {
		return f, err
	}
	defer c.close()
	defer func() {
		if err != nil { // what was sent and resent until the failure
			if r, rerr := c.resent(n); rerr == nil {
				err = fmt.Errorf("%w (%s)", err, r)
			}
		}
	}()
	sp := specsOf(kind, fmt.Sprintf("s%d", run), n)
	// A minute, plus 200 µs per child (a million children on a loaded
	// machine still fit).
	limit := time.Minute + time.Duration(n)*200*time.Microsecond
	ctx, cancel := context.WithTimeout(context.Background(), 3*limit)
	defer cancel()
	base := heapAndStacks()
	m0 := mallocs()
	stopHalf := profileAtHalf(prof, n, c.hubs[0])
	defer stopHalf()
	t0 := time.Now()
	// A size above Limits.MaxBatch goes out as several requests, all in
	// flight at once (a million children are five of 200,000).
	res, err := startBatches(ctx, c.hubs[0], sp, maxBatch, phub.Await(), phub.Timeout(limit))
	f.ack = time.Since(t0)
	if err != nil {
		return f, err
	}
	if len(res) != n {
		return f, fmt.Errorf("%d results for %d children", len(res), n)
	}
	if !res.OK() {
		return f, fmt.Errorf("%d children failed, first %v", len(res.Errors()), res.Errors()[0])
	}
	if err := waitUntil(limit, func() bool { return c.allEntries(n) }); err != nil {
		return f, fmt.Errorf("registries hold %v of %d: %w", c.entries(), n, err)
	}
	f.allPolled = time.Since(t0)
	f.all = c.settledSince(t0, f.ack, n)
	f.allocsPerChild = float64(mallocs()-m0) / float64(n)
	f.perNodeMiB = float64(int64(heapAndStacks())-int64(base)) / 3 / (1 << 20)
	stopHalf()
	if err := writeHeapProfile(prof, n, "full"); err != nil {
		return f, err
	}
	f.lookupNs = lookupOnce(c.hubs[1], sp)
	ids := make([]core.ChildID, n)
	for i, s := range sp {
		ids[i] = s.ID
	}
	runtime.GC()
	m1 := mallocs()
	t1 := time.Now()
	sres, err := stopBatches(ctx, c.hubs[0], ids, maxBatch, phub.Await(), phub.Timeout(limit))
	stopAck := time.Since(t1)
	if err != nil {
		return f, err
	}
	if len(sres) != n {
		return f, fmt.Errorf("stop: %d results for %d children", len(sres), n)
	}
	if !sres.OK() {
		return f, fmt.Errorf("stop: %d errors, first %v", len(sres.Errors()), sres.Errors()[0])
	}
	if err := waitUntil(limit, func() bool { return c.allEntries(0) }); err != nil {
		return f, fmt.Errorf("registries hold %v after stop: %w", c.entries(), err)
	}
	f.stopPolled = time.Since(t1)
	f.stop = c.settledSince(t1, stopAck, 0)
	f.stopAllocsPerChild = float64(mallocs()-m1) / float64(n)
	f.resent, err = c.resent(n)
	return f, err
}

// startStopDownAfter is the Timing.DownAfter of the start/stop figures'
// cluster: the default (5 s) below 100,000 children, and a minute per
// 100,000 children from there, so that a large batch, which keeps a loop
// busy for seconds on a loaded machine (a 300,000-child start at a load
// average of ~24, and a 100,000-child one at ~10, had a node declared
// down and the start failed), is measured instead of failing. While every
// node is up DownAfter changes nothing measured.
func startStopDownAfter(n int) time.Duration {
	if n < 100000 {
		return 0
	}
	return time.Duration(n/100000) * time.Minute
}

// lookupOnce measures Lookup(Local) on h over the ids of sp, one
// goroutine, 100,000 calls.
func lookupOnce(h *phub.Hub, sp []core.ChildSpec) float64 {
	const calls = 100000
	bg := context.Background()
	t0 := time.Now()
	for i := 0; i < calls; i++ {
		if _, err := h.Lookup(bg, sp[i%len(sp)].ID, core.Local); err != nil {
			return -1
		}
	}
	return float64(time.Since(t0).Nanoseconds()) / calls
}

// redistFigures are one run of redistribution.
type redistFigures struct {
	wall, cpu time.Duration
	// entriesPerChild counts the registry entries the nodes sent from
	// the join until the registries matched, per child; fullSyncs the
	// full syncs that carried entries; messages every message sent
	// meanwhile.
	entriesPerChild float64
	fullSyncs       int64
	messages        int64
}

// redistribution starts n children on 3 nodes, adds a 4th and measures
// until every node's registry places every child on its ring node; tune
// (nil: cold swap, the defaults) adjusts every node's config.
func redistribution(n, run int, tune func(*core.Config)) (f redistFigures, err error) {
	c, err := newClusterTuned(3, "", 0, tune)
	if err != nil {
		return f, err
	}
	defer c.close()
	sp := specs(fmt.Sprintf("r%d", run), n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if res, err := c.hubs[0].StartChildren(ctx, sp, phub.Await(), phub.Timeout(time.Minute)); err != nil || !res.OK() {
		return f, fmt.Errorf("start: %v %v", err, res.Errors())
	}
	if err := waitUntil(time.Minute, func() bool { return c.allEntries(n) }); err != nil {
		return f, err
	}
	e0, m0, s0 := c.sent.entries.Load(), c.sent.messages.Load(), c.sent.fullSyncs.Load()
	cpu0 := cpuTime()
	t0 := time.Now()
	if err := c.add(); err != nil {
		return f, err
	}
	ring := core.NewRing(core.DefaultConfig("x").Distribution.VirtualNodes, c.names)
	want := make(map[core.ChildID]core.NodeID, n)
	for _, s := range sp {
		want[s.ID] = ring.BelongsTo(s.ID, 1)[0]
	}
	bg := context.Background()
	// cursor[i] is how far hub i's registry is known to match: a poll
	// resumes there (local lookups, no copy or sort of the registry), so
	// polling costs little of the two cores the cluster runs on; a final
	// full pass over every hub confirms the match.
	cursor := make([]int, len(c.hubs))
	matchesFrom := func(i int) bool {
		h := c.hubs[i]
		for ; cursor[i] < n; cursor[i]++ {
			id := sp[cursor[i]].ID
			e, err := h.Lookup(bg, id, core.Local)
			if err != nil || e == nil || len(e.Replicas) != 1 || e.Replicas[0].Node != want[id] {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(time.Minute)
	for {
		done := true
		for i := range c.hubs {
			if !matchesFrom(i) {
				done = false
				break
			}
		}
		if done {
			at := time.Since(t0)
			for i := range cursor {
				cursor[i] = 0
			}
			for i := range c.hubs {
				if !matchesFrom(i) {
					done = false
				}
			}
			if done {
				f.wall, f.cpu = at, cpuTime()-cpu0
				f.entriesPerChild = float64(c.sent.entries.Load()-e0) / float64(n)
				f.messages = c.sent.messages.Load() - m0
				f.fullSyncs = c.sent.fullSyncs.Load() - s0
				return f, nil
			}
		}
		if time.Now().After(deadline) {
			return f, fmt.Errorf("registries did not match the ring within a minute")
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// lookups measures Lookup(Local) on one node holding n entries.
func lookups(n int) (parallel, single float64, err error) {
	c, err := newCluster(3)
	if err != nil {
		return 0, 0, err
	}
	defer c.close()
	sp := specs("l", n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if res, err := c.hubs[0].StartChildren(ctx, sp, phub.Await()); err != nil || !res.OK() {
		return 0, 0, fmt.Errorf("start: %v", err)
	}
	if err := waitUntil(time.Minute, func() bool { return c.allEntries(n) }); err != nil {
		return 0, 0, err
	}
	h := c.hubs[1]
	bg := context.Background()
	var miss error
	p := testing.Benchmark(func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := h.Lookup(bg, sp[i%n].ID, core.Local); err != nil {
					miss = err
				}
				i++
			}
		})
	})
	s := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := h.Lookup(bg, sp[i%n].ID, core.Local); err != nil {
				miss = err
			}
		}
	})
	if miss != nil {
		return 0, 0, fmt.Errorf("lookup missed: %w", miss)
	}
	return float64(p.NsPerOp()), float64(s.NsPerOp()), nil
}

// registryBytesPerEntry measures the heap one core node uses per registry
// entry when it holds n entries replicated from a peer, with the peer's
// claims (the state every node keeps for every child).
func registryBytesPerEntry(n int) float64 {
	cfg := core.DefaultConfig("m1")
	// The baseline is taken before the inputs exist, and the inputs are
	// dropped before the final reading, so the difference is exactly what
	// the node retains.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	node, err := core.NewNode(cfg, 1)
	if err != nil {
		return -1
	}
	entries := make([]core.Entry, n)
	claims := make([]core.Claim, n)
	for i := range entries {
		id := core.ChildID(fmt.Sprintf("child-%07d", i))
		entries[i] = core.Entry{Spec: core.ChildSpec{ID: id, Kind: NoopKind}, Epoch: 1, Holder: "m2", By: "m2"}
		claims[i] = core.Claim{ID: id, Epoch: 1, Instance: uint64(i + 1), Active: true}
	}
	hello := core.Message{Kind: core.MsgHeartbeat, Hub: cfg.HubID, From: "m2", Inc: 1}
	node.Step(2, hello)
	// A message carries at most Limits.MaxBatch items (Message.Validate
	// refuses more), so a registry larger than that arrives in parts, as
	// from a peer: one full claim list when it fits, else claims in parts.
	part := cfg.Limits.MaxBatch
	at := core.Instant(3)
	for i := 0; i < n; i += part {
		node.Step(at, core.Message{Kind: core.MsgReplicate, Hub: cfg.HubID, From: "m2", Inc: 1, Entries: entries[i:min(n, i+part)]})
		at++
	}
	for i, ver := 0, uint64(1); i < n; i, ver = i+part, ver+1 {
		node.Step(at, core.Message{Kind: core.MsgClaims, Hub: cfg.HubID, From: "m2", Inc: 1, Claims: claims[i:min(n, i+part)], Full: n <= part, Version: ver})
		at++
	}
	node.Ready() // drop the outputs (the runtime would apply them to its index)
	entries, claims = nil, nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := node.Stats().Entries; got != n {
		return -1
	}
	runtime.KeepAlive(node)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// childKind is the kind the start/stop figures start.
func (o Options) childKind() string {
	if o.GoroutineChildren {
		return GoroutineKind
	}
	return NoopKind
}

// withDefaults fills in the runs and sizes a caller left unset.
func (o Options) withDefaults() Options {
	if o.Runs < 1 {
		o.Runs = 3
	}
	if len(o.StartSizes) == 0 {
		o.StartSizes = []int{1000, 10000, 100000}
	}
	return o
}

// emitter returns a function that records a figure in figs and prints it
// to o.Out as it is measured.
func (o Options) emitter(figs *[]Figure) func(Figure) {
	return func(f Figure) {
		*figs = append(*figs, f)
		if o.Out != nil {
			fmt.Fprintln(o.Out, f)
		}
	}
}
