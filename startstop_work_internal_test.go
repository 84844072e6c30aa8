package phub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// startStopWork is what a single-node hub did for an awaited start and an
// awaited stop of n IdleChild children: heap allocations per child of the
// whole process (runtime and core) and child reports fed to core.
type startStopWork struct {
	startAllocs, stopAllocs   float64
	startReports, stopReports uint64
}

// idleStartStopWork starts n children of kind ("idle": IdleChild,
// "goroutine": a Child on a goroutine of its own) on a fresh single-node
// hub, awaited, until its index holds them all, then stops them, awaited,
// until the index is empty and every child goroutine has returned,
// counting each half.
func idleStartStopWork(t *testing.T, n int, kind string) startStopWork {
	t.Helper()
	cfg := core.DefaultConfig("work")
	cfg.Incarnation = 0
	cfg.Timing.DownAfter = time.Minute // a loaded machine's stalls change nothing here
	idle := &IdleChild{}
	h, err := New(Config{
		Core:      cfg,
		Transport: transport.NewInmemNetwork().Endpoint("work"),
		Kinds: Registry{
			"idle": func(core.ChildSpec) (Child, error) { return idle, nil },
			"goroutine": func(core.ChildSpec) (Child, error) {
				return ChildFunc(func(ctx context.Context, _ ChildEnv) error { <-ctx.Done(); return nil }), nil
			},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		h.Close(ctx)
	}()
	sp := make([]core.ChildSpec, n)
	ids := make([]core.ChildID, n)
	for i := range sp {
		ids[i] = core.ChildID(fmt.Sprintf("w-%d", i))
		sp[i] = core.ChildSpec{ID: ids[i], Kind: kind}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reports := func() uint64 {
		var r uint64
		if err := h.call(ctx, func() { r = h.reportsFed }); err != nil {
			t.Fatal(err)
		}
		return r
	}
	waitIndex := func(want int) {
		deadline := time.Now().Add(2 * time.Minute)
		for h.index.len() != want {
			if time.Now().After(deadline) {
				t.Fatalf("the index holds %d entries, want %d", h.index.len(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	var w startStopWork
	r0 := reports()
	runtime.GC()
	m0 := mallocCount()
	res, err := h.StartChildren(ctx, sp, Await())
	if err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}
	waitIndex(n)
	w.startAllocs = float64(mallocCount()-m0) / float64(n)
	r1 := reports()
	w.startReports = r1 - r0
	runtime.GC()
	m1 := mallocCount()
	sres, err := h.StopChildren(ctx, ids, Await())
	if err != nil || !sres.OK() {
		t.Fatalf("stop: %v %v", err, sres.Errors())
	}
	waitIndex(0)
	w.stopAllocs = float64(mallocCount()-m1) / float64(n)
	exited := make(chan struct{})
	go func() { h.childWG.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("child goroutines still running after the stop")
	}
	// Reports the stop left queued would be fed after the loop's next
	// wake: the read of the counter is that wake's input.
	reports()
	w.stopReports = reports() - r1
	return w
}

func mallocCount() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// TestIdleStartStopWorkPerChild counts what the runtime does per child
// of an awaited start and stop of IdleChild children on one node:
//   - every start reports once, queued and fed to core in the loop's
//     batches (they were fed one by one while the loop processed the
//     start effects, each input closing a core batch of its own), and a
//     stop reports nothing outside strict mode (core ignores the exit of
//     an instance it stopped; each stopped child was one more input);
//   - heap allocations per child, whole process, runtime and core: the
//     start 8.3 / 10.2 at 2,000 / 8,000 children before those cuts,
//     5.3 / 5.2 after; the stop 9.1 / 9.1 before, 2.1 / 2.1 once core's
//     routing and owner's stop stopped copying entries (core/stopcost.go).
//     The bounds leave room for batch boundaries, which depend on timing.
func TestIdleStartStopWorkPerChild(t *testing.T) {
	for _, n := range []int{2000, 8000} {
		w := idleStartStopWork(t, n, "idle")
		t.Logf("%d children: start %.2f allocations and %d reports, stop %.2f allocations and %d reports", n, w.startAllocs, w.startReports, w.stopAllocs, w.stopReports)
		if w.startReports != uint64(n) {
			t.Errorf("%d children: the start fed %d child reports, want one per child", n, w.startReports)
		}
		if w.stopReports != 0 {
			t.Errorf("%d children: the stop fed %d child reports, want none outside strict mode", n, w.stopReports)
		}
		if w.startAllocs > maxStartAllocsPerChild {
			t.Errorf("%d children: the start allocated %.2f times per child, want ≤ %.1f", n, w.startAllocs, maxStartAllocsPerChild)
		}
		if w.stopAllocs > maxStopAllocsPerChild {
			t.Errorf("%d children: the stop allocated %.2f times per child, want ≤ %.1f", n, w.stopAllocs, maxStopAllocsPerChild)
		}
	}
}

// The bounds of TestIdleStartStopWorkPerChild.
const (
	maxStartAllocsPerChild = 7.0
	maxStopAllocsPerChild  = 3.5
)

// TestStoppedGoroutineChildrenReportNothing: children running on
// goroutines of their own that the hub stopped do not report their exit
// outside strict mode either (each was one more input for the loop).
func TestStoppedGoroutineChildrenReportNothing(t *testing.T) {
	w := idleStartStopWork(t, 500, "goroutine")
	if w.startReports != 500 || w.stopReports != 0 {
		t.Fatalf("500 goroutine children: the start fed %d child reports (want 500), the stop %d (want 0)", w.startReports, w.stopReports)
	}
}
