package phub

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// fenceWork starts n instances under one node deadline, stops them all and
// removes them, and returns how often the fence rescanned its instances
// and how many instances those scans visited.
func fenceWork(t *testing.T, n int) (rearms, scanned uint64) {
	t.Helper()
	f := newLeaseFence(true, MonoNow, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	defer func() {
		f.mu.Lock()
		if f.timer != nil {
			f.timer.Stop()
		}
		f.mu.Unlock()
	}()
	f.setUntil(MonoNow().Add(time.Hour))
	runs := make([]*childRun, n)
	for i := range runs {
		runs[i] = &childRun{spec: core.ChildSpec{ID: core.ChildID(fmt.Sprintf("c%d", i))}, instance: uint64(i + 1), fenced: f.fencedChan(), cancel: func() {}}
		f.add(runs[i])
	}
	for _, r := range runs {
		f.stopped(r)
	}
	for _, r := range runs {
		f.remove(r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.runs) != 0 || len(f.stops) != 0 {
		t.Fatalf("%d instances, %d stops still tracked after every remove", len(f.runs), len(f.stops))
	}
	return f.rearms, f.scanned
}

// TestLeaseFenceArmsOnceForManyStarts: starting and stopping N instances
// under one node deadline arms the fence's timer a constant number of
// times and scans a constant number of instances, whatever N (29e25a8:
// a rescan of every instance on each start and stop made 10k children
// O(N²), start 84 → 307 ms).
func TestLeaseFenceArmsOnceForManyStarts(t *testing.T) {
	r100, s100 := fenceWork(t, 100)
	r5k, s5k := fenceWork(t, 5000)
	if r5k != r100 || r5k > 2 {
		t.Errorf("timer armed %d times for 100 instances, %d for 5000: want the same constant (≤ 2)", r100, r5k)
	}
	if s5k != s100 || s5k > 2 {
		t.Errorf("rescans visited %d instances for 100 starts, %d for 5000: want the same constant (≤ 2)", s100, s5k)
	}
}

// TestLeaseFenceOffOutsideStrictMode: outside strict mode the fence tracks
// nothing and every instance shares one Fenced channel that is never
// closed (no lock, map entry or channel per child).
func TestLeaseFenceOffOutsideStrictMode(t *testing.T) {
	f := newLeaseFence(false, MonoNow, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	r := &childRun{fenced: f.fencedChan(), cancel: func() {}}
	f.setUntil(MonoNow().Add(time.Hour))
	f.add(r)
	f.stopped(r)
	if len(f.runs) != 0 || len(f.stops) != 0 || f.timer != nil || f.rearms != 0 {
		t.Fatalf("fence off tracked %d instances, %d stops, %d rearms, timer %v", len(f.runs), len(f.stops), f.rearms, f.timer != nil)
	}
	if r.fenced != neverFenced {
		t.Fatal("an instance outside strict mode got a Fenced channel of its own")
	}
	r.fence() // must not close the shared channel
	if r.isFenced() {
		t.Fatal("fencing one instance outside strict mode closed the shared Fenced channel")
	}
	f.remove(r)
}
