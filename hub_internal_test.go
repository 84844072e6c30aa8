package phub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

func newTestHub(t testing.TB, net *transport.InmemNetwork, name core.NodeID, seeds ...core.NodeID) *Hub {
	t.Helper()
	cfg := core.DefaultConfig(name)
	cfg.Incarnation = 0
	cfg.Seeds = seeds
	cfg.Timing = core.LocalTiming()
	cfg.Timing.DownAfter = 2 * time.Second
	h, err := New(Config{
		Core: cfg, Transport: net.Endpoint(name),
		Kinds: Registry{"noop": func(core.ChildSpec) (Child, error) {
			return ChildFunc(func(ctx context.Context, _ ChildEnv) error { <-ctx.Done(); return nil }), nil
		}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	return h
}

func (h *Hub) pendingWaiters(t testing.TB) int {
	var n int
	if err := h.call(context.Background(), func() { n = len(h.waiters) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A reply that arrives after its caller gave up is discarded and its
// waiter forgotten.
func TestAbandonedReplyIsDiscarded(t *testing.T) {
	net := transport.NewInmemNetwork()
	a := newTestHub(t, net, "a", "b")
	b := newTestHub(t, net, "b", "a")
	deadline := time.Now().Add(5 * time.Second)
	for len(a.Alive()) != 2 || len(b.Alive()) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("cluster did not form")
		}
		time.Sleep(2 * time.Millisecond)
	}
	net.Disconnect("b") // b stays alive in a's view for DownAfter: the start waits for b
	var specs []core.ChildSpec
	for i := 0; i < 20; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("c%d", i)), Kind: "noop"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := a.StartChildren(ctx, specs, Await(), Timeout(time.Second)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StartChildren: %v, want DeadlineExceeded", err)
	}
	if n := a.pendingWaiters(t); n != 1 {
		t.Fatalf("waiters while the request is pending: %d, want 1", n)
	}
	net.Reconnect("b")
	for a.pendingWaiters(t) != 0 {
		if time.Now().After(deadline.Add(5 * time.Second)) {
			t.Fatal("abandoned waiter never resolved")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestCoreTimeout(t *testing.T) {
	now := time.Now()
	tick := 5 * time.Millisecond
	if d := coreTimeout(context.Background(), now, tick); d != 0 {
		t.Fatalf("no deadline: %v", d)
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(time.Second))
	defer cancel()
	if d := coreTimeout(ctx, now, tick); d != time.Second-2*tick {
		t.Fatalf("1s deadline: %v", d)
	}
	ctx2, cancel2 := context.WithDeadline(context.Background(), now.Add(-time.Second))
	defer cancel2()
	if d := coreTimeout(ctx2, now, tick); d != time.Millisecond {
		t.Fatalf("past deadline: %v", d)
	}
}

func TestIndex(t *testing.T) {
	ix := newIndex()
	e1 := &core.Entry{Spec: core.ChildSpec{ID: "a"}, Metadata: core.Metadata{"tag": "x"}}
	e2 := &core.Entry{Spec: core.ChildSpec{ID: "b"}}
	ix.apply([]core.RegistryChange{{ID: "a", Entry: e1}, {ID: "b", Entry: e2}})
	if ix.get("a") != e1 || ix.get("b") != e2 || ix.len() != 2 {
		t.Fatal("apply: entries missing")
	}
	ix.apply([]core.RegistryChange{{ID: "a", Entry: &core.Entry{Spec: core.ChildSpec{ID: "a"}, Stopped: true}}, {ID: "b"}})
	if ix.get("a") != nil || ix.get("b") != nil || ix.len() != 0 {
		t.Fatal("tombstone and nil entry must remove")
	}
	ix.replace([]*core.Entry{e2, e1})
	if l := ix.list(nil); len(l) != 2 || l[0] != e1 || l[1] != e2 {
		t.Fatalf("replace/list: %v", l)
	}
	if l := ix.list(func(e *core.Entry) bool { return e.Metadata["tag"] == "x" }); len(l) != 1 || l[0] != e1 {
		t.Fatalf("filtered list: %v", l)
	}
}
