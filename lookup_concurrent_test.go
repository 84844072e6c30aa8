package phub_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// TestLookupDuringConcurrentStartsAndStops: local lookups running on
// other goroutines while two writers start and stop children on the same
// node (the index grows, is written and tombstoned under them) only ever
// see, for an id, ErrNotFound or that id's own live entry; once a start
// has returned every id is eventually found, once a stop has returned
// none. Ids are short (held inline in the index) and long (compared
// through the entry). Run with -race for the memory model.
func TestLookupDuringConcurrentStartsAndStops(t *testing.T) {
	h := newIdleHub(t, "look", func(cfg *core.Config) { cfg.Timing.DownAfter = time.Minute })
	const perWriter, rounds = 600, 3
	idSets := make([][]core.ChildID, 2)
	for w := range idSets {
		for i := 0; i < perWriter; i++ {
			id := fmt.Sprintf("w%d-%d", w, i)
			if i%3 == 0 {
				id = fmt.Sprintf("writer-%d-a-child-id-longer-than-a-slot-%d", w, i)
			}
			idSets[w] = append(idSets[w], core.ChildID(id))
		}
	}
	all := append(append([]core.ChildID(nil), idSets[0]...), idSets[1]...)
	var stop atomic.Bool
	var lookups atomic.Int64
	bad := make(chan string, 4)
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func(r int) {
			defer readers.Done()
			for i := r; !stop.Load(); i++ {
				id := all[i%len(all)]
				e, err := h.Lookup(context.Background(), id, core.Local)
				lookups.Add(1)
				switch {
				case err != nil && !errors.Is(err, phub.ErrNotFound):
					bad <- fmt.Sprintf("Lookup(%s): %v", id, err)
					return
				case err == nil && (e == nil || e.Spec.ID != id || e.Stopped):
					bad <- fmt.Sprintf("Lookup(%s) returned %+v", id, e)
					return
				}
			}
		}(r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	found := func(ids []core.ChildID, want bool) func() bool {
		return func() bool {
			for _, id := range ids {
				if _, err := h.Lookup(ctx, id, core.Local); (err == nil) != want {
					return false
				}
			}
			return true
		}
	}
	var writers sync.WaitGroup
	werr := make(chan error, 2)
	for w := range idSets {
		writers.Add(1)
		go func(ids []core.ChildID) {
			defer writers.Done()
			sp := make([]core.ChildSpec, len(ids))
			for i, id := range ids {
				sp[i] = core.ChildSpec{ID: id, Kind: "idle"}
			}
			for round := 0; round < rounds; round++ {
				if res, err := h.StartChildren(ctx, sp, phub.Await()); err != nil || !res.OK() {
					werr <- fmt.Errorf("round %d: start: %v %v", round, err, res.Errors())
					return
				}
				if err := poll(ctx, found(ids, true)); err != nil {
					werr <- fmt.Errorf("round %d: started children not found: %w", round, err)
					return
				}
				if res, err := h.StopChildren(ctx, ids, phub.Await()); err != nil || !res.OK() {
					werr <- fmt.Errorf("round %d: stop: %v %v", round, err, res.Errors())
					return
				}
				if err := poll(ctx, found(ids, false)); err != nil {
					werr <- fmt.Errorf("round %d: stopped children still found: %w", round, err)
					return
				}
			}
		}(idSets[w])
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	close(werr)
	close(bad)
	for err := range werr {
		t.Error(err)
	}
	for s := range bad {
		t.Error(s)
	}
	if lookups.Load() == 0 {
		t.Fatal("no lookup ran during the writes")
	}
}

// poll calls cond every millisecond until it holds or ctx ends.
func poll(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// TestCountIsTheNumberOfLiveEntries: Count, read from the lookup index
// without the event loop, equals len(List()) once a start's and a stop's
// changes are applied.
func TestCountIsTheNumberOfLiveEntries(t *testing.T) {
	c := newCluster(t, 3, nil)
	h := c.hub("a")
	ctx := ctxT(t, time.Minute)
	sp := specs("noop", "count", 50)
	if res, err := h.StartChildren(ctx, sp, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}
	for _, name := range c.names {
		hn := c.hub(name)
		c.waitFor(30*time.Second, "every entry listed", func() bool { return len(hn.List()) == len(sp) })
		if got := hn.Count(); got != len(sp) {
			t.Fatalf("%s: Count() = %d, List has %d", name, got, len(sp))
		}
	}
	ids := make([]core.ChildID, 20)
	for i := range ids {
		ids[i] = sp[i].ID
	}
	if res, err := h.StopChildren(ctx, ids, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("stop: %v %v", err, res.Errors())
	}
	for _, name := range c.names {
		hn := c.hub(name)
		c.waitFor(30*time.Second, "the stopped entries gone", func() bool { return len(hn.List()) == len(sp)-len(ids) })
		if got := hn.Count(); got != len(sp)-len(ids) {
			t.Fatalf("%s: Count() = %d after the stop, List has %d", name, got, len(sp)-len(ids))
		}
	}
}
