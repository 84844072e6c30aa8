package core

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// TestSteadyChurnKeepsDigestsEqual: 3 nodes, 5,000 live children, 40
// children started and stopped per 500 ms round, TombstoneTTL 2 s. The
// nodes collect expired tombstones on a shared grid (tombstone_grid.go),
// so their digests keep matching and no round answers with a
// whole-registry exchange. When each node collected at its own round, n2
// alone exchanged its whole registry 72 times in the 40 rounds (118,224
// claims sent). Tombstones still live at least TombstoneTTL and are gone
// within TombstoneTTL + 2 intervals.
func TestSteadyChurnKeepsDigestsEqual(t *testing.T) {
	const ttl = 2 * time.Second
	c := digestCluster(t, func(cfg *Config) { cfg.Timing.TombstoneTTL = ttl })
	if r := c.request("n1", Request{ID: 5, Op: OpStart, Specs: benchSpecs("live", 5000), Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.runFor(4 * digestInterval)
	before := map[NodeID]Stats{}
	for _, name := range c.names {
		before[name] = c.nodes[name].Stats()
	}
	type stopped struct {
		ids []ChildID
		at  Instant
	}
	var stops []stopped
	collected := 0
	id := uint64(100)
	for round := 0; round < 40; round++ {
		ids := churnRound(t, c, &id, round)
		_, at, ok := c.nodes["n1"].reg.tombstone(ids[0])
		if !ok {
			t.Fatalf("round %d: n1 holds no tombstone of %s after its stop", round, ids[0])
		}
		stops = append(stops, stopped{ids: ids, at: at})
		c.runFor(digestInterval)
		for _, name := range c.names {
			n := c.nodes[name]
			for _, s := range stops {
				young := n.now.Sub(s.at) <= ttl
				for _, cid := range s.ids {
					_, _, held := n.reg.tombstone(cid)
					if young && !held {
						t.Fatalf("round %d: %s collected %s's tombstone %v after its stop (TTL %v)", round, name, cid, n.now.Sub(s.at), ttl)
					}
					if !held && name == "n2" {
						collected++
					}
				}
			}
			if _, at, ok := n.reg.oldestTombstone(); ok && n.now.Sub(at) >= ttl+2*digestInterval {
				t.Fatalf("round %d: %s still holds a tombstone stopped %v ago (TTL %v, interval %v)", round, name, n.now.Sub(at), ttl, digestInterval)
			}
		}
	}
	if collected == 0 {
		t.Fatal("n2 collected no tombstone: the churn never ran past the TTL")
	}
	for _, name := range c.names {
		got, was := c.nodes[name].Stats(), before[name]
		if ex := got.DigestExchanges - was.DigestExchanges; ex > 1 {
			t.Errorf("%s exchanged its whole registry %d times in 40 rounds of steady churn (full claim lists %d, claims sent %d); want at most 1",
				name, ex, got.FullClaimLists-was.FullClaimLists, got.ClaimsSent-was.ClaimsSent)
		}
	}
}

// TestTombstoneCutoffIsOnTheGrid: the cutoff is now − TTL rounded down to
// a multiple of the sync interval, negative instants included.
func TestTombstoneCutoffIsOnTheGrid(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Timing.TombstoneTTL = 10 * time.Second
	cfg.Sync.Interval = 3 * time.Second
	n := &Node{cfg: cfg}
	s := Instant(time.Second)
	for _, tc := range []struct{ now, want Instant }{
		{22 * s, 12 * s}, {21 * s, 9 * s}, {23 * s, 12 * s}, {24 * s, 12 * s}, {25 * s, 15 * s},
		{10 * s, 0}, {9 * s, -3 * s}, {7 * s, -3 * s}, {6 * s, -6 * s},
	} {
		n.now = tc.now
		if got := n.tombstoneCutoff(); got != tc.want {
			t.Errorf("cutoff at %v = %v, want %v", time.Duration(tc.now), time.Duration(got), time.Duration(tc.want))
		}
	}
}

// TestTombstoneQueueFindsOldest: through random writes, restarts and
// removals, the queue names the registry's tombstone with the lowest
// (StoppedAt, id), and its stale items stay bounded.
func TestTombstoneQueueFindsOldest(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	r := newRegistry()
	epochs := map[ChildID]uint64{}
	for step := 0; step < 6000; step++ {
		id := ChildID(fmt.Sprintf("c%03d", rng.Intn(300)))
		switch rng.Intn(5) {
		case 0, 1:
			epochs[id]++
			r.put(&Entry{Spec: ChildSpec{ID: id}, Epoch: epochs[id], Stopped: true, By: "n1", StoppedAt: Instant(rng.Intn(50))})
		case 4:
			epochs[id]++ // stopped again at the same instant: a duplicate item
			r.put(&Entry{Spec: ChildSpec{ID: id}, Epoch: epochs[id], Stopped: true, By: "n1", StoppedAt: 7})
		case 2:
			epochs[id]++
			r.put(&Entry{Spec: ChildSpec{ID: id}, Epoch: epochs[id], By: "n1"})
		case 3:
			r.remove(id)
		}
		var want tombstoneItem
		found := false
		r.eachEntry(func(cid ChildID, rec record) {
			if it := (tombstoneItem{at: r.shapes.list[rec.shape].stoppedAt, id: cid}); rec.stopped && (!found || it.less(want)) {
				want, found = it, true
			}
		})
		gotID, gotAt, ok := r.oldestTombstone()
		if ok != found || (ok && (gotID != want.id || gotAt != want.at)) {
			t.Fatalf("step %d: oldest tombstone %q at %d (%v), want %q at %d (%v)", step, gotID, gotAt, ok, want.id, want.at, found)
		}
		if err := r.recordsInvariant(); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if max := 2*(r.count-r.live) + 64; len(r.tombs.items) > max {
			t.Fatalf("step %d: %d queued items for %d tombstones", step, len(r.tombs.items), r.count-r.live)
		}
	}
}
