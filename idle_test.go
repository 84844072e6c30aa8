package phub_test

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// idleTracker counts the OnStart and OnStop calls of the "idle" kind's
// instances per child id, and refuses to start ids it was told to.
type idleTracker struct {
	mu            sync.Mutex
	starts, stops map[core.ChildID]int
	refuse        map[core.ChildID]bool
}

var idleChildren = &idleTracker{starts: map[core.ChildID]int{}, stops: map[core.ChildID]int{}, refuse: map[core.ChildID]bool{}}

func (tr *idleTracker) reset() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.starts, tr.stops, tr.refuse = map[core.ChildID]int{}, map[core.ChildID]int{}, map[core.ChildID]bool{}
}

// running returns how many instances were started and not stopped.
func (tr *idleTracker) running() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for id, s := range tr.starts {
		n += s - tr.stops[id]
	}
	return n
}

// counts returns copies of the start and stop counts.
func (tr *idleTracker) counts() (starts, stops map[core.ChildID]int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	starts, stops = map[core.ChildID]int{}, map[core.ChildID]int{}
	for k, v := range tr.starts {
		starts[k] = v
	}
	for k, v := range tr.stops {
		stops[k] = v
	}
	return starts, stops
}

// idleKind builds an IdleChild per spec that records its calls.
func idleKind(spec core.ChildSpec) (phub.Child, error) {
	id := spec.ID
	return &phub.IdleChild{
		OnStart: func(phub.ChildEnv) error {
			idleChildren.mu.Lock()
			defer idleChildren.mu.Unlock()
			if idleChildren.refuse[id] {
				return errors.New("refused by the test")
			}
			idleChildren.starts[id]++
			return nil
		},
		OnStop: func() {
			idleChildren.mu.Lock()
			defer idleChildren.mu.Unlock()
			idleChildren.stops[id]++
		},
	}, nil
}

// TestIdleChildRunsWithoutGoroutines: IdleChild instances start, are
// listed and stop like any child, each OnStart is matched by exactly one
// OnStop, and running them adds no goroutine per child.
func TestIdleChildRunsWithoutGoroutines(t *testing.T) {
	idleChildren.reset()
	c := newCluster(t, 3, nil)
	a := c.hub("a")
	const n = 300
	sp := specs("idle", "idle", n)
	before := runtime.NumGoroutine()
	res, err := a.StartChildren(ctxT(t, 10*time.Second), sp, phub.Await())
	if err != nil || !res.OK() {
		t.Fatalf("StartChildren: %v %v", err, res.Errors())
	}
	c.waitFor(10*time.Second, "300 idle children running once each", func() bool {
		return idleChildren.running() == n && len(c.runningOn()) == n
	})
	// A goroutine per child would add 300; the cluster's own goroutines
	// (connections, timers) vary by a few.
	if grown := runtime.NumGoroutine() - before; grown >= n/2 {
		t.Fatalf("goroutines grew by %d for %d idle children", grown, n)
	}
	for id, ns := range c.runningOn() {
		if len(ns) != 1 {
			t.Fatalf("%s runs on %v", id, ns)
		}
	}
	ids := make([]core.ChildID, n)
	for i, s := range sp {
		ids[i] = s.ID
	}
	sres, err := a.StopChildren(ctxT(t, 10*time.Second), ids, phub.Await())
	if err != nil || !sres.OK() {
		t.Fatalf("StopChildren: %v %v", err, sres.Errors())
	}
	c.waitFor(10*time.Second, "every idle child stopped", func() bool {
		return idleChildren.running() == 0 && len(c.runningOn()) == 0
	})
	starts, stops := idleChildren.counts()
	for _, id := range ids {
		if starts[id] != 1 || stops[id] != 1 {
			t.Fatalf("%s: %d starts, %d stops; want 1 and 1", id, starts[id], stops[id])
		}
	}
}

// TestIdleChildStartFailure: an OnStart error is a failed start, and
// OnStop is not called for it.
func TestIdleChildStartFailure(t *testing.T) {
	idleChildren.reset()
	c := newCluster(t, 1, nil)
	id := core.ChildID("idle-refused")
	idleChildren.mu.Lock()
	idleChildren.refuse[id] = true
	idleChildren.mu.Unlock()
	res, err := c.hub("a").StartChildren(ctxT(t, 10*time.Second),
		[]core.ChildSpec{{ID: id, Kind: "idle", Restart: core.Temporary}}, phub.Await())
	if err != nil {
		t.Fatalf("StartChildren: %v", err)
	}
	if errs := res.Errors(); len(errs) != 1 || !errors.Is(errs[0], phub.ErrStartFailed) {
		t.Fatalf("want one ErrStartFailed, got %v", errs)
	}
	if _, stops := idleChildren.counts(); stops[id] != 0 {
		t.Fatalf("OnStop called %d times for a failed start", stops[id])
	}
}

// TestIdleChildStoppedAtClose: Close ends the idle children it still
// runs, calling OnStop once each.
func TestIdleChildStoppedAtClose(t *testing.T) {
	idleChildren.reset()
	c := newCluster(t, 1, nil)
	sp := specs("idle", "idle-close", 20)
	if res, err := c.hub("a").StartChildren(ctxT(t, 10*time.Second), sp, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("StartChildren: %v %v", err, res.Errors())
	}
	if got := idleChildren.running(); got != 20 {
		t.Fatalf("%d running after an awaited start, want 20", got)
	}
	c.closeAll()
	if got := idleChildren.running(); got != 0 {
		t.Fatalf("%d idle children still running after Close", got)
	}
	_, stops := idleChildren.counts()
	for _, s := range sp {
		if stops[s.ID] != 1 {
			t.Fatalf("%s stopped %d times", s.ID, stops[s.ID])
		}
	}
}
