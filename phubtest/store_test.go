package phubtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/phubtest"
)

// TestFullClusterRestartWithStores: with durable stores, killing every
// node and restarting them all loses no acknowledged child, brings back
// no stopped one, runs each once, and epochs only grow. Without stores
// the same kill forgets everything (the control half of the test).
func TestFullClusterRestartWithStores(t *testing.T) {
	for _, durable := range []bool{true, false} {
		t.Run(map[bool]string{true: "durable", false: "in-memory"}[durable], func(t *testing.T) {
			var opts []phubtest.Option
			if durable {
				opts = append(opts, phubtest.WithStores())
			}
			c := newCluster(t, 3, opts...)
			startWaiters(t, c.Node(0), 10)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := c.Node(1).StopChildren(ctx, []core.ChildID{"w03", "w07"}, phub.Await()); err != nil {
				t.Fatal(err)
			}
			converge(t, c)
			epochs := map[core.ChildID]uint64{}
			for _, e := range c.Node(2).List() {
				epochs[e.Spec.ID] = e.Epoch
			}
			for i := 0; i < c.Len(); i++ {
				c.Kill(i)
			}
			for i := 0; i < c.Len(); i++ {
				c.Restart(i)
			}
			converge(t, c)
			run := running(c)
			if !durable {
				if len(run) != 0 {
					t.Fatalf("in-memory cluster remembered children after a full restart: %v", run)
				}
				return
			}
			for id, ep := range epochs {
				nodes := run[id]
				if len(nodes) != 1 {
					t.Errorf("acknowledged child %s runs on %v after the full restart, want exactly one node", id, nodes)
				}
				e, err := c.Node(0).Lookup(ctx, id, core.Owner)
				if err != nil || e.Epoch < ep {
					t.Errorf("child %s after restart: %+v %v, want epoch >= %d", id, e, err, ep)
				}
			}
			for _, id := range []core.ChildID{"w03", "w07"} {
				if nodes := run[id]; len(nodes) > 0 {
					t.Errorf("stopped child %s runs again on %v", id, nodes)
				}
				if _, err := c.Node(0).Lookup(ctx, id, core.Owner); !errors.Is(err, phub.ErrNotFound) {
					t.Errorf("stopped child %s: lookup %v, want ErrNotFound", id, err)
				}
			}
			if len(run) != 8 {
				t.Errorf("%d children run after the restart, want 8: %v", len(run), run)
			}
		})
	}
}

// TestStoreFailureStopsTheHub: a durable hub whose store fails to write
// stops at once (Stopped, Err wraps phub.ErrStorage) and acknowledges
// nothing it could not make durable.
func TestStoreFailureStopsTheHub(t *testing.T) {
	c := newCluster(t, 1, phubtest.WithStores())
	h := c.Node(0)
	c.Store(0).Crash() // every write fails from now on, like a full disk
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h.StartChildren(ctx, []core.ChildSpec{{ID: "x", Kind: "waiter"}}, phub.Await())
	if err == nil {
		t.Fatal("a start was acknowledged although the store refused to write it")
	}
	select {
	case <-h.Stopped():
	case <-ctx.Done():
		t.Fatal("the hub did not stop after its store failed")
	}
	if !errors.Is(h.Err(), phub.ErrStorage) || !errors.Is(err, phub.ErrStorage) {
		t.Fatalf("Err() = %v, start error %v: want both to wrap ErrStorage", h.Err(), err)
	}
	if _, ok := c.Store(0).Snapshot().Entries["x"]; ok {
		t.Fatal("the refused start reached the store")
	}
}
