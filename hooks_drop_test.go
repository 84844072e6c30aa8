package phub_test

import (
	"context"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// A slow hook handler never stalls the node: with Config.HookQueue full,
// hooks are dropped and counted (DroppedHooks) while requests are still
// answered; the handler gets what was queued once it returns.
func TestSlowHookHandlerDropsNotStalls(t *testing.T) {
	cfg := core.DefaultConfig("a")
	cfg.Timing = testTiming()
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("a"),
		Kinds: phub.Registry{"noop": noopKind}, Logger: testLogger(), HookQueue: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	release := make(chan struct{})
	seen := make(chan core.ChildID, 64)
	err = h.RegisterHook(core.HookRegistryInsert, "slow", func(hk core.Hook) {
		<-release
		for _, id := range hk.IDs {
			seen <- id
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 20*time.Second)
	for i, s := range specs("noop", "slow", 10) {
		if _, err := h.StartChild(ctx, s); err != nil {
			t.Fatalf("start %d with the hook handler blocked: %v", i, err)
		}
	}
	waitFor(t, 10*time.Second, "dropped hooks counted", func() bool { return h.DroppedHooks() > 0 })
	close(release)
	got := 0
	deadline := time.After(10 * time.Second)
	for uint64(got)+h.DroppedHooks() < 10 {
		select {
		case <-seen:
			got++
		case <-deadline:
			t.Fatalf("handler saw %d hooks, %d dropped: want 10 in all", got, h.DroppedHooks())
		}
	}
	if got == 0 {
		t.Fatal("the handler saw none of the queued hooks")
	}
}
