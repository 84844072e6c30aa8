package phub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// A running child's fencing token is its epoch plus this node's name,
// incarnation and instance number: what the hub reports for the start.
func TestChildFence(t *testing.T) {
	var mu sync.Mutex
	fences := map[uint64]core.Fence{} // instance -> token seen by Run
	fenceKind := func(core.ChildSpec) (phub.Child, error) {
		return phub.ChildFunc(func(ctx context.Context, env phub.ChildEnv) error {
			mu.Lock()
			fences[env.Instance()] = env.Fence()
			mu.Unlock()
			<-ctx.Done()
			return nil
		}), nil
	}
	cfg := core.DefaultConfig("solo")
	cfg.Incarnation = 77
	cfg.Timing = testTiming()
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("solo"),
		Kinds: phub.Registry{"fence": fenceKind}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := h.StartChild(ctx, core.ChildSpec{ID: "f1", Kind: "fence"})
	if err != nil {
		t.Fatal(err)
	}
	local := h.WhichChildrenLocal()
	if len(local.Children) != 1 {
		t.Fatalf("local children %+v", local)
	}
	inst := local.Children[0].Instance
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		f, ok := fences[inst]
		mu.Unlock()
		if ok {
			want := core.Fence{Epoch: r.Epoch, Incarnation: 77, Instance: inst, Node: "solo"}
			if f != want {
				t.Fatalf("Fence() = %+v, want %+v", f, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("child never ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
