package core

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLargeStartCostPerChild measures, for each size in PHUB_LARGE_SIZES
// (e.g. "100000,300000,1000000"; skipped without it), an awaited start
// from n1 on 3 core nodes with default timing, each round of messages
// costing 5 µs per child of its largest message (PHUB_LARGE_COST, a
// duration, sets another: 50µs makes a million's start outlast two
// 15 s sync rounds, as on a real machine): the heap the cores
// hold per child and node once every registry holds the children, the
// allocations per child, the messages and full syncs sent, and the
// simulated time. These do not depend on the machine's load, so they show
// whether the cores' cost per child stays flat from 100,000 to a million
// (the goal of issue 13's fourth target). It fails if the heap per child
// at the largest size exceeds the smallest's by more than 25%.
func TestLargeStartCostPerChild(t *testing.T) {
	env := os.Getenv("PHUB_LARGE_SIZES")
	if env == "" {
		t.Skip("PHUB_LARGE_SIZES not set")
	}
	var perChild []float64
	var sizes []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			t.Fatalf("PHUB_LARGE_SIZES: %q is no size", f)
		}
		sizes = append(sizes, n)
	}
	cost := 5 * time.Microsecond
	if v := os.Getenv("PHUB_LARGE_COST"); v != "" {
		var err error
		if cost, err = time.ParseDuration(v); err != nil || cost < 0 {
			t.Fatalf("PHUB_LARGE_COST: %q is no duration", v)
		}
	}
	for _, n := range sizes {
		b := largeStart(t, n, cost)
		perChild = append(perChild, b)
	}
	if last, first := perChild[len(perChild)-1], perChild[0]; last > 1.25*first {
		t.Errorf("heap per child and node grows from %.0f B at %d to %.0f B at %d", first, sizes[0], last, sizes[len(sizes)-1])
	}
}

// largeStart runs one start of n children for TestLargeStartCostPerChild
// and returns the heap bytes per child and node.
func largeStart(t *testing.T, n int, cost time.Duration) float64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0, mallocs0 := ms.HeapAlloc, ms.Mallocs
	c := newBenchCluster(t, 3)
	d := &partsDriver{c: c, costPerItem: cost, inFlight: map[NodeID]map[uint64]bool{}}
	var messages, fullSyncs, claimLists int
	d.drop = func(env Envelope) bool {
		m := env.Msg
		messages++
		if m.Full && len(m.Entries) > 0 && m.Part <= 1 {
			fullSyncs++
		}
		if m.Kind == MsgClaims && m.Full {
			claimLists++
		}
		return false
	}
	specs := benchSpecs("L", n)
	t0 := c.now
	const batch = 200000 // Limits.MaxBatch: a larger start is several requests, all in flight
	for i, id := 0, uint64(1); i < n; i, id = i+batch, id+1 {
		// The bench's timeout: a minute, plus 200 µs per child.
		timeout := time.Minute + time.Duration(n)*200*time.Microsecond
		c.nodes["n1"].Request(c.now, Request{ID: id, Op: OpStart, Specs: specs[i:min(i+batch, n)], Start: StartOptions{Await: true, Timeout: timeout}})
	}
	want := (n + batch - 1) / batch
	for len(c.replies) < want {
		if !d.round() && c.now.Sub(t0) > 10*time.Minute {
			t.Fatalf("%d of %d replies after %v", len(c.replies), want, c.now.Sub(t0))
		}
	}
	for _, r := range c.replies {
		if r.Err != nil {
			t.Fatalf("start: %v", r.Err)
		}
		for _, res := range r.Results {
			if res.Err != "" {
				t.Fatalf("start: %s: %s %s", res.ID, res.Err, res.Detail)
			}
		}
	}
	for !allHold(c, n) {
		if !d.round() && c.now.Sub(t0) > 10*time.Minute {
			t.Fatal("the registries never hold every child")
		}
	}
	took := c.now.Sub(t0)
	specs, c.replies = nil, nil
	runtime.GC()
	runtime.ReadMemStats(&ms)
	per := float64(int64(ms.HeapAlloc)-int64(heap0)) / 3 / float64(n)
	allocs := float64(ms.Mallocs-mallocs0) / float64(n)
	waited, forced := 0, 0
	for _, name := range c.names {
		st := c.nodes[name].Stats()
		waited, forced = waited+st.DigestAnswersWaited, forced+st.DigestAnswersForced
	}
	t.Logf("start %d: %.0f B per child and node, %.1f allocations per child, %d messages, %d full syncs with entries, %d full claim lists, %d digest answers waited (%d forced), %v simulated",
		n, per, allocs, messages, fullSyncs, claimLists, waited, forced, took)
	runtime.KeepAlive(c)
	return per
}

// allHold reports whether every node's registry holds n live entries.
func allHold(c *benchCluster, n int) bool {
	for _, name := range c.names {
		if c.nodes[name].reg.live != n {
			return false
		}
	}
	return true
}
