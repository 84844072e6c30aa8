package core

import (
	"runtime"
	"testing"
)

// startStopAllocs starts n children awaited on 3 nodes driven as the
// runtime drives them (instant delivery) and stops them, and returns the
// heap allocations per child of each (core is single-goroutine, so the
// count does not depend on the machine's load).
func startStopAllocs(t *testing.T, n int) (start, stop float64) {
	start, stop, _, _ = startStopAllocsBytes(t, n)
	return start, stop
}

// startStopAllocsBytes is startStopAllocs with the bytes allocated per
// child of each too.
func startStopAllocsBytes(t *testing.T, n int) (start, stop, startBytes, stopBytes float64) {
	c := newBenchCluster(t, 3)
	specs := benchSpecs("c", n)
	ids := make([]ChildID, n)
	for i, s := range specs {
		ids[i] = s.ID
	}
	mallocs := func() (uint64, uint64) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.Mallocs, m.TotalAlloc
	}
	m0, b0 := mallocs()
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
	c.pump()
	m1, b1 := mallocs()
	c.nodes["n1"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}})
	c.pump()
	m2, b2 := mallocs()
	if len(c.replies) != 2 || c.replies[0].Err != nil || c.replies[1].Err != nil {
		t.Fatalf("replies %+v", c.replies)
	}
	for _, name := range c.names {
		if got := c.nodes[name].reg.live; got != 0 {
			t.Fatalf("%s holds %d live entries after the stop", name, got)
		}
	}
	k := float64(n)
	return float64(m1-m0) / k, float64(m2-m1) / k, float64(b1-b0) / k, float64(b2-b1) / k
}

// TestStartStopAllocationsPerChild bounds core's heap allocations per
// child, all 3 nodes together, for an awaited start and stop of 2,000
// children: 10.3 and 11.1 when written (the stop was 16.3 before
// Config.LiveChanges and reused batch sets, changes.go); the stop 11.4 →
// 4.4 once routing read a child's pins, and the owner's stop its replica
// nodes and tombstone, without entry copies (stopcost.go); 4.4 → 0.4
// once a tombstone's reason and time live in its interned shape instead
// of a side record per child and node (record.go), and the owner's
// results share one buffer of replica nodes (stopcost.go); the start
// 10.8 → 8.8 once the owner's new versions, its results' nodes and its
// start effects are sized once per request (startcost.go) and a started
// child's process-startups hook takes its one-id list from a shared slab
// (changes.go); 8.8 → 6.7 once a bulk start or replication makes room in
// the registry and owner tables before writing instead of growing them by
// doubling (reserve.go); the stop 0.4 → 0.21 once a stop's claim
// retraction rides with its replication round (claimround.go: one
// message, decoded and applied once, instead of two); the start 6.6 →
// 1.7 once a flush's registry changes carve their entries from shared
// slabs (changes.go's entrySlab: the entry and its replica per child and
// node were 5 of the 6.6); the stop 0.23 → 0.12 once its batches are
// sized (TestStopBytesPerChild). A hot path that starts allocating per
// child again fails it.
func TestStartStopAllocationsPerChild(t *testing.T) {
	start, stop := startStopAllocs(t, 2000)
	t.Logf("allocations per child, 3 nodes: start %.2f, stop %.2f", start, stop)
	if start > 2.0 {
		t.Errorf("an awaited start allocates %.2f times per child, want ≤ 2.0", start)
	}
	if stop > 0.2 {
		t.Errorf("an awaited stop allocates %.2f times per child, want ≤ 0.2", stop)
	}
}

// TestStopBytesPerChild bounds the heap bytes core allocates per child,
// 3 nodes together, for an awaited stop of 2,000 children: the
// collector's work follows them (in a 1,000-child stop's profile its
// assists, charged to whichever append grew, were the larger part of
// the growth's cost). 1,502 before; 1,129 once the tombstone queue,
// the peers' remembered retractions, the stop's claim retractions and
// the hooks' id lists are sized for the batch instead of grown by
// doubling (registry.go's reserveTombstones, claimsapply.go's
// retractionsFor, changes.go's expectClaims), and flushClaims reuses its
// map (claimbatch.go). The start's bytes are logged: mostly the entries
// of its registry changes (changes.go).
func TestStopBytesPerChild(t *testing.T) {
	_, _, start, stop := startStopAllocsBytes(t, 2000)
	t.Logf("bytes per child, 3 nodes: start %.0f, stop %.0f", start, stop)
	if stop > 1250 {
		t.Errorf("an awaited stop allocates %.0f bytes per child, want ≤ 1250", stop)
	}
}
