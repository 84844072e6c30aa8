package core

import (
	"fmt"
	"os"
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
		}
		return false
	}
	return w
}

// quietSyncCluster is 3 core nodes whose sync round comes due every
// 500 ms (instead of 15 s), so that rounds fall inside a start of 30,000
// children that lasts about 1.2 s of simulated time (each round of
// messages costs 60 µs per child of its largest message, a loaded
// machine) and the 2 s bound (maxSyncRoundWait intervals) does not.
func quietSyncCluster(t *testing.T) (*partsDriver, *syncWatch) {
	c := newBenchClusterWith(t, 3, func(cfg *Config) { cfg.Sync.Interval = 500 * time.Millisecond })
	d := &partsDriver{c: c, costPerItem: 60 * time.Microsecond, inFlight: map[NodeID]map[uint64]bool{}}
	return d, newSyncWatch(d)
}

// settle delivers rounds until every node has sent a digest after the
// last change of its registry: each has run its round on a quiet
// registry.
func settle(t *testing.T, d *partsDriver, w *syncWatch) {
	from := d.c.now
	for d.c.now.Sub(from) < 10*time.Second {
		d.round()
		done := true
		for _, name := range d.c.names {
			ds := w.digests[name]
			if len(ds) == 0 || ds[len(ds)-1] <= d.c.nodes[name].quiet.changedAt {
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
	c := d.c
	t0 := c.now
	c.replies = nil
	c.nodes["n1"].Request(c.now, Request{ID: id, Op: OpStart, Specs: benchSpecs(prefix, n), Start: StartOptions{Await: true}})
	for i := 0; len(c.replies) == 0; i++ {
		if !d.round() && i > 100000 {
			t.Fatal("no reply and nothing to deliver")
		}
	}
	if err := c.replies[0].Err; err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, r := range c.replies[0].Results {
		if r.Err != "" {
			t.Fatalf("start: %s: %s %s", r.ID, r.Err, r.Detail)
		}
	}
	return c.now.Sub(t0)
}

// TestSyncRoundWaitsForALargeStart: while a start of 30,000 children
// changes every registry, no node exchanges its registry with a peer
// (before syncquiet.go, the rounds due during the start each exchanged
// whole registries of up to 30,000 entries between every pair); once the
// start is over every node runs its waiting round, the digests match and
// still nothing is exchanged.
func TestSyncRoundWaitsForALargeStart(t *testing.T) {
	d, w := quietSyncCluster(t)
	// A registry above quietSyncAbove first; its rounds run once quiet.
	const base, n = 20000, 30000
	startAwaited(t, d, 1, "base", base)
	settle(t, d, w)
	w.fullSyncs, w.fullEntries = 0, 0
	waited0 := d.c.nodes["n1"].Stats().SyncRoundsWaited
	took := startAwaited(t, d, 2, "q", n)
	if took < 2*d.c.nodes["n1"].cfg.Sync.Interval {
		t.Fatalf("the start took %v of simulated time: too short to span the sync rounds the test is about", took)
	}
	waited := d.c.nodes["n1"].Stats().SyncRoundsWaited - waited0
	t.Logf("start of %d on a registry of %d: %v simulated; %d full syncs (%d entries) during it; n1 waited %d rounds", n, base, took, w.fullSyncs, w.fullEntries, waited)
	if w.fullSyncs != 0 {
		t.Errorf("%d full syncs with %d entries (%.2f per child) during the start; want none", w.fullSyncs, w.fullEntries, float64(w.fullEntries)/n)
	}
	if waited == 0 {
		t.Errorf("no sync round waited during a %v start with rounds due every 500 ms", took)
	}
	// After the start every node runs its waiting round, the digests
	// match, nothing is exchanged.
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

// TestSyncRoundOfABusyRegistryStillRuns: a large registry that never rests
// (a child started every 100 ms) still has its sync round at the latest
// maxSyncRoundWait (4) intervals after the previous one.
func TestSyncRoundOfABusyRegistryStillRuns(t *testing.T) {
	d, w := quietSyncCluster(t)
	startAwaited(t, d, 1, "b", quietSyncAbove+1000)
	from := d.c.now
	for i := 0; d.c.now.Sub(from) < 12*time.Second; i++ {
		d.c.nodes["n1"].Request(d.c.now, Request{ID: uint64(100 + i), Op: OpStart, Specs: benchSpecs(fmt.Sprintf("busy%d", i), 1)})
		for t0 := d.c.now; d.c.now.Sub(t0) < 100*time.Millisecond; {
			d.round()
		}
	}
	for _, name := range d.c.names {
		var last Instant = from
		for _, at := range w.digests[name] {
			if at < from {
				continue
			}
			if gap := at.Sub(last); gap > maxSyncRoundWait*500*time.Millisecond+200*time.Millisecond {
				t.Errorf("%s: %v without a sync round while its registry kept changing", name, gap)
			}
			last = at
		}
		if gap := d.c.now.Sub(last); gap > maxSyncRoundWait*500*time.Millisecond+200*time.Millisecond {
			t.Errorf("%s: no sync round in the last %v", name, gap)
		}
		if d.c.nodes[name].Stats().SyncRoundsWaited == 0 {
			t.Errorf("%s: no round waited, so the registry was never seen busy", name)
		}
	}
}

// TestReadmeStatesTheQuietSyncBounds: the README's strategy table states
// the registry size above which the sync round waits and its bound.
func TestReadmeStatesTheQuietSyncBounds(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	size := fmt.Sprintf("%d,%03d", quietSyncAbove/1000, quietSyncAbove%1000)
	for _, want := range []string{
		fmt.Sprintf("a registry of more than %s entries has its round", size),
		fmt.Sprintf("at the latest %d intervals after the previous round", maxSyncRoundWait),
		fmt.Sprintf("once it has not changed for %d `RetryInterval`s", syncQuietRetries),
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("README does not state %q", want)
		}
	}
}
