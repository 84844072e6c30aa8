package phub

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// lifeLog records when each instance of a child ran, in true (monotonic)
// time, as seen by the instances themselves.
type lifeLog struct {
	mu    sync.Mutex
	lives []life
}

type life struct {
	node        core.NodeID
	from, until time.Time // until is zero while running
	fenced      bool      // ended by ChildEnv.Fenced
}

// kind is a child that runs until its context ends or it is fenced.
func (l *lifeLog) kind(core.ChildSpec) (Child, error) {
	return ChildFunc(func(ctx context.Context, env ChildEnv) error {
		l.mu.Lock()
		i := len(l.lives)
		l.lives = append(l.lives, life{node: env.Node(), from: time.Now()})
		l.mu.Unlock()
		fenced := false
		select {
		case <-ctx.Done():
		case <-env.Fenced():
			fenced = true
		}
		l.mu.Lock()
		l.lives[i].until, l.lives[i].fenced = time.Now(), fenced
		l.mu.Unlock()
		return nil
	}), nil
}

func (l *lifeLog) snapshot() []life {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]life(nil), l.lives...)
}

// newStrictCluster starts three hubs in strict mode over an in-memory
// network, all running lifeLog's kind as "life".
func newStrictCluster(t *testing.T, lease time.Duration, lives *lifeLog) map[core.NodeID]*Hub {
	t.Helper()
	net := transport.NewInmemNetwork()
	names := []core.NodeID{"a", "b", "c"}
	hubs := map[core.NodeID]*Hub{}
	for _, name := range names {
		cfg := core.DefaultConfig(name)
		cfg.Seeds = names
		cfg.Timing.TickInterval = 5 * time.Millisecond
		cfg.Timing.HeartbeatInterval = 20 * time.Millisecond
		cfg.Timing.DownAfter = 2 * time.Second
		cfg.Timing.RetryInterval = 50 * time.Millisecond
		cfg.Partition.Kind = core.Strict
		cfg.Partition.Voters = names
		cfg.Partition.Lease = lease
		h, err := New(Config{Core: cfg, Transport: net.Endpoint(name), Kinds: Registry{"life": lives.kind},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		hubs[name] = h
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.Close(ctx)
		})
	}
	return hubs
}

// TestLeaseFenceKillsChildrenOfAStuckLoop: in strict mode a node whose
// event loop is stuck (it renews no lease, processes no input) still ends
// its children when their lease deadline passes, from the hub's own timer;
// the child starts elsewhere only after that, so its instances never
// overlap.
func TestLeaseFenceKillsChildrenOfAStuckLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a lease to expire")
	}
	const lease = 400 * time.Millisecond
	lives := &lifeLog{}
	hubs := newStrictCluster(t, lease, lives)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var r ChildResult
	for {
		res, err := hubs["a"].StartChildren(ctx, []core.ChildSpec{{ID: "x", Kind: "life"}}, Await())
		if err == nil && len(res.Results) == 1 && res.Results[0].Err == nil {
			r = res.Results[0]
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("strict start never succeeded: %v %v", res, err)
		}
		time.Sleep(50 * time.Millisecond) // the voters' boot hold: poll until they grant
	}
	holder := hubs[r.Nodes[0]]

	// Wedge the holder's loop: it renews nothing from now on.
	release := make(chan struct{})
	wedged := time.Now()
	holder.ops <- func() { <-release }
	defer close(release)

	deadline := time.Now().Add(45 * time.Second) // generous: a loaded machine
	var got []life
	for {
		got = lives.snapshot()
		if len(got) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) < 2 {
		t.Fatalf("the child was not taken over within 45 s of the holder's loop getting stuck: %+v", got)
	}
	first := got[0]
	if first.until.IsZero() || !first.fenced {
		t.Fatalf("the stuck holder's instance was not fenced: %+v", first)
	}
	if ran := first.until.Sub(wedged); ran > lease+2*time.Second {
		t.Errorf("the fenced instance ran %v after the loop got stuck; the lease is %v", ran, lease)
	}
	if holder.fence.count() == 0 {
		t.Error("the fence counted no fenced instance")
	}
	for _, l := range got[1:] {
		if l.from.Before(first.until) {
			t.Fatalf("instance on %s started at %v, before the stuck holder's instance ended (%v): overlap",
				l.node, l.from.Sub(wedged), first.until.Sub(wedged))
		}
	}
}
