package core

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// syncWatch counts, per sending node, the anti-entropy digests and the
// full syncs carrying entries that cross a partsDriver, and the entries
// those full syncs carry.
type syncWatch struct {
	digests      map[NodeID][]Instant
	fullSyncs    int
	fullEntries  int
	lastFullSync Instant
	// firstFullSync: when the first full sync with entries left since
	// firstFullSync was last zeroed.
	firstFullSync Instant
}

func newSyncWatch(d *partsDriver) *syncWatch {
	w := &syncWatch{digests: map[NodeID][]Instant{}}
	d.drop = func(env Envelope) bool {
		m := env.Msg
		switch {
		case m.Kind == MsgDigest:
			w.digests[m.From] = append(w.digests[m.From], d.c.now)
		case m.Kind == MsgReplicate && m.Full && len(m.Entries) > 0:
			if m.Part <= 1 {
				w.fullSyncs++
			}
			w.fullEntries += len(m.Entries)
			w.lastFullSync = d.c.now
			if w.firstFullSync == 0 {
				w.firstFullSync = d.c.now
			}
		}
		return false
	}
	return w
}

// quietSyncCluster is 3 core nodes whose sync round comes due every
// 500 ms (instead of 15 s), so that rounds fall inside a start of 30,000
// children that lasts about 1.2 s of simulated time (each round of
// messages costs 60 µs per child of its largest message, a loaded
// machine) and the 2 s bound (maxDigestAnswerWait intervals) does not.
func quietSyncCluster(t *testing.T) (*partsDriver, *syncWatch) {
	return quietSyncClusterWith(t, nil)
}

// quietSyncClusterWith is quietSyncCluster with tune applied to every
// node's config after the 500 ms interval.
func quietSyncClusterWith(t *testing.T, tune func(*Config)) (*partsDriver, *syncWatch) {
	c := newBenchClusterWith(t, 3, func(cfg *Config) {
		cfg.Sync.Interval = 500 * time.Millisecond
		if tune != nil {
			tune(cfg)
		}
	})
	d := &partsDriver{c: c, costPerItem: 60 * time.Microsecond, inFlight: map[NodeID]map[uint64]bool{}}
	return d, newSyncWatch(d)
}

// settle delivers rounds until every node has sent a digest after the
// last change of its registry and no mismatch waits for an answer: each
// has run its round on a quiet registry.
func settle(t *testing.T, d *partsDriver, w *syncWatch) {
	from := d.c.now
	for d.c.now.Sub(from) < 10*time.Second {
		d.round()
		done := true
		for _, name := range d.c.names {
			n := d.c.nodes[name]
			ds := w.digests[name]
			if len(ds) == 0 || ds[len(ds)-1] <= n.quiet.changedAt || len(n.quiet.waits) > 0 {
				done = false
			}
		}
		if done {
			return
		}
	}
	t.Fatal("the cluster did not settle within 10 s")
}

// startAwaited starts n children from n1 and delivers rounds until its
// reply; it returns the simulated time the start took.
func startAwaited(t *testing.T, d *partsDriver, id uint64, prefix string, n int) time.Duration {
	return requestAwaited(t, d, Request{ID: id, Op: OpStart, Specs: benchSpecs(prefix, n), Start: StartOptions{Await: true}})
}

// requestAwaited sends r from n1 and delivers rounds until its reply,
// which must hold no error; it returns the simulated time it took.
func requestAwaited(t *testing.T, d *partsDriver, r Request) time.Duration {
	t.Helper()
	c := d.c
	t0 := c.now
	c.replies = nil
	c.nodes["n1"].Request(c.now, r)
	for i := 0; len(c.replies) == 0; i++ {
		if !d.round() && i > 100000 {
			t.Fatal("no reply and nothing to deliver")
		}
	}
	if err := c.replies[0].Err; err != nil {
		t.Fatalf("%v: %v", r.Op, err)
	}
	for _, res := range c.replies[0].Results {
		if res.Err != "" {
			t.Fatalf("%v: %s: %s %s", r.Op, res.ID, res.Err, res.Detail)
		}
	}
	return c.now.Sub(t0)
}

// TestDigestAnswerWaitsForALargeStart: while a start of 30,000 children
// changes every registry, every node runs its sync round on time (a
// digest to each peer every interval) and no node exchanges its registry
// with a peer (before syncquiet.go, the rounds due during the start each
// exchanged whole registries of up to 30,000 entries between every pair;
// in session 9 the rounds themselves waited); once the start is over,
// the digests match and still nothing is exchanged.
func TestDigestAnswerWaitsForALargeStart(t *testing.T) {
	d, w := quietSyncCluster(t)
	// A registry above quietSyncAbove first.
	const base, n = 20000, 30000
	startAwaited(t, d, 1, "base", base)
	settle(t, d, w)
	w.fullSyncs, w.fullEntries = 0, 0
	waited0 := 0
	for _, name := range d.c.names {
		waited0 += d.c.nodes[name].Stats().DigestAnswersWaited
	}
	t0 := d.c.now
	took := startAwaited(t, d, 2, "q", n)
	interval := d.c.nodes["n1"].cfg.Sync.Interval
	if took < 2*interval {
		t.Fatalf("the start took %v of simulated time: too short to span the sync rounds the test is about", took)
	}
	waited := -waited0
	for _, name := range d.c.names {
		waited += d.c.nodes[name].Stats().DigestAnswersWaited
		// The rounds ran on time: one digest per peer per interval.
		rounds := 0
		for _, at := range w.digests[name] {
			if at > t0 {
				rounds++
			}
		}
		if want := 2 * int(took/interval-1); rounds < want {
			t.Errorf("%s sent %d digests during a %v start; want at least %d (a round per %v, 2 peers)", name, rounds, took, want, interval)
		}
	}
	t.Logf("start of %d on a registry of %d: %v simulated; %d full syncs (%d entries) during it; %d digest answers waited", n, base, took, w.fullSyncs, w.fullEntries, waited)
	if w.fullSyncs != 0 {
		t.Errorf("%d full syncs with %d entries (%.2f per child) during the start; want none", w.fullSyncs, w.fullEntries, float64(w.fullEntries)/n)
	}
	if waited == 0 {
		t.Errorf("no digest answer waited during a %v start with rounds due every %v", took, interval)
	}
	// After the start every waiting mismatch is settled by a digest of a
	// quiet registry: the digests match, nothing is exchanged.
	settle(t, d, w)
	if w.fullSyncs != 0 {
		t.Errorf("%d full syncs after the start; want none (the registries match)", w.fullSyncs)
	}
	digest := d.c.nodes["n1"].reg.digest
	for _, name := range d.c.names {
		if got := d.c.nodes[name]; got.reg.digest != digest || got.Stats().Entries != base+n {
			t.Errorf("%s holds %d entries, digest %x; n1 %x", name, got.Stats().Entries, got.reg.digest, digest)
		}
	}
}

// busyFor starts a child from n1 every 100 ms for span of simulated
// time, so that the registries never rest; at reaches every step with
// the time since the start of the span.
func busyFor(d *partsDriver, span time.Duration, at func(time.Duration)) {
	from := d.c.now
	for i := 0; d.c.now.Sub(from) < span; i++ {
		d.c.nodes["n1"].Request(d.c.now, Request{ID: uint64(1000 + i), Op: OpStart, Specs: benchSpecs(fmt.Sprintf("busy%d", i), 1)})
		for t0 := d.c.now; d.c.now.Sub(t0) < 100*time.Millisecond; {
			d.round()
			if at != nil {
				at(d.c.now.Sub(from))
			}
		}
	}
}

// TestSyncRoundOfABusyRegistryRunsOnTime: on a large registry that never
// rests (a child started every 100 ms), every node still runs its sync
// round every interval — its digests go out, its garbage collection drops
// tombstones once their TTL has passed, its reconciliation pass restarts
// a local child whose instance vanished without a report — where session
// 9 deferred the whole round by up to 4 intervals.
func TestSyncRoundOfABusyRegistryRunsOnTime(t *testing.T) {
	const ttl = 3 * time.Second
	d, w := quietSyncClusterWith(t, func(cfg *Config) { cfg.Timing.TombstoneTTL = ttl })
	interval := d.c.nodes["n1"].cfg.Sync.Interval
	startAwaited(t, d, 1, "b", quietSyncAbove+1000)
	// Tombstones: 10 children stopped now.
	var stopped []ChildID
	for i := 0; i < 10; i++ {
		stopped = append(stopped, ChildID(fmt.Sprintf("b-%d", i)))
	}
	requestAwaited(t, d, Request{ID: 2, Op: OpStop, IDs: stopped, Stop: StopOptions{Await: true}})
	stoppedAt := d.c.now
	// A child of n2 whose instance vanishes without a report: only the
	// round's reconciliation sweep finds it.
	var lost ChildID
	n2 := d.c.nodes["n2"]
	for _, id := range sortedChildKeys(n2.local) {
		if !slices.Contains(stopped, id) {
			lost = id
			break
		}
	}
	var restarted []time.Duration
	from := d.c.now
	d.onEffect = func(node NodeID, e Effect) {
		if node == "n2" && e.Kind == EffectStart && e.ID == lost {
			restarted = append(restarted, d.c.now.Sub(from))
		}
	}
	delete(n2.local, lost)
	var collectedAt time.Duration = -1
	busyFor(d, 4*time.Second, func(since time.Duration) {
		if collectedAt >= 0 {
			return
		}
		for _, name := range d.c.names {
			for _, id := range stopped {
				if d.c.nodes[name].reg.has(id) {
					return
				}
			}
		}
		collectedAt = since
	})
	if collectedAt < 0 {
		t.Errorf("the tombstones of %d children stopped %v ago (TTL %v) are still held", len(stopped), d.c.now.Sub(stoppedAt), ttl)
	} else if late := from.Add(collectedAt).Sub(stoppedAt); late > ttl+interval+200*time.Millisecond {
		t.Errorf("tombstones collected %v after the stop; want within TTL %v + one interval %v", late, ttl, interval)
	}
	if sweep := sweepRounds * interval; len(restarted) == 0 || restarted[0] > sweep+200*time.Millisecond {
		t.Errorf("n2's vanished child %s restarted at %v after it vanished; want within %d intervals (%v)", lost, restarted, sweepRounds, sweep)
	}
	for _, name := range d.c.names {
		last := from
		for _, at := range w.digests[name] {
			if at < from {
				continue
			}
			if gap := at.Sub(last); gap > interval+200*time.Millisecond {
				t.Errorf("%s: %v without a sync round while its registry kept changing", name, gap)
			}
			last = at
		}
	}
}

// TestDivergenceOfABusyRegistryIsRepairedWithinTheBound: a registry that
// lost an entry (n3's copy of a child n1 runs) on a large registry that
// never rests (a child started every 100 ms) gets it back by the
// exchange the waiting mismatch is owed at the latest maxDigestAnswerWait
// intervals after it was first left unanswered: the exchange starts
// within a round (when the mismatch is first seen) plus the bound, and
// its delivery (60 µs per entry of a message round here) repairs it.
func TestDivergenceOfABusyRegistryIsRepairedWithinTheBound(t *testing.T) {
	d, w := quietSyncCluster(t)
	interval := d.c.nodes["n1"].cfg.Sync.Interval
	startAwaited(t, d, 1, "b", quietSyncAbove+1000)
	settle(t, d, w)
	n1, n3 := d.c.nodes["n1"], d.c.nodes["n3"]
	var lost ChildID
	for _, id := range sortedChildKeys(n1.local) {
		if n3.local[id] == nil {
			lost = id
			break
		}
	}
	want, _ := n1.reg.get(lost)
	forced0 := n1.Stats().DigestAnswersForced + n3.Stats().DigestAnswersForced
	w.fullSyncs, w.firstFullSync = 0, 0
	n3.reg.remove(lost) // lost from n3's registry: nothing but anti-entropy brings it back
	from := d.c.now
	var repairedAt time.Duration = -1
	busyFor(d, 12*time.Second, func(since time.Duration) {
		if got, ok := n3.reg.get(lost); repairedAt < 0 && ok && got.Epoch == want.Epoch {
			repairedAt = since
		}
	})
	forced := n1.Stats().DigestAnswersForced + n3.Stats().DigestAnswersForced - forced0
	exchanged := w.firstFullSync.Sub(from)
	t.Logf("exchange after %v, repaired after %v; %d full syncs with entries; %d waits forced by the bound", exchanged, repairedAt, w.fullSyncs, forced)
	switch bound := interval + maxDigestAnswerWait*interval + 100*time.Millisecond; {
	case repairedAt < 0:
		t.Fatalf("n3 still misses %s %v after losing it", lost, d.c.now.Sub(from))
	case w.firstFullSync == 0 || exchanged > bound:
		t.Errorf("the first exchange left after %v; want within %v (a round, then the bound)", exchanged, bound)
	case exchanged < maxDigestAnswerWait*interval:
		t.Errorf("the first exchange left after %v, before the bound: the registries were never busy, the test proves nothing", exchanged)
	case repairedAt < exchanged:
		t.Errorf("n3 got %s back after %v, before any exchange: the repair came some other way", lost, repairedAt)
	}
	if forced == 0 {
		t.Error("no wait reached its bound: the repair came some other way")
	}
}

// TestReadmeStatesTheQuietSyncBounds: the README's strategy table states
// the registry size above which a mismatch waits and its bound.
func TestReadmeStatesTheQuietSyncBounds(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	size := fmt.Sprintf("%d,%03d", quietSyncAbove/1000, quietSyncAbove%1000)
	for _, want := range []string{
		fmt.Sprintf("between registries of more than %s entries", size),
		fmt.Sprintf("at the latest %d intervals after it was first left unanswered", maxDigestAnswerWait),
		fmt.Sprintf("changed within %d `RetryInterval`s", syncQuietRetries),
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("README does not state %q", want)
		}
	}
}
