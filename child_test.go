package phub_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// A panicking child is an abnormal exit: a permanent child is restarted
// (new instance, same epoch); a temporary child that fails is removed.
func TestChildPanicRestartAndExit(t *testing.T) {
	var runs atomic.Int32
	kindsReg := phub.Registry{
		"flaky": func(core.ChildSpec) (phub.Child, error) {
			return phub.ChildFunc(func(ctx context.Context, env phub.ChildEnv) error {
				if runs.Add(1) == 1 {
					panic("boom")
				}
				<-ctx.Done()
				return nil
			}), nil
		},
		"fails": func(core.ChildSpec) (phub.Child, error) {
			return phub.ChildFunc(func(ctx context.Context, env phub.ChildEnv) error {
				return errors.New("bad day")
			}), nil
		},
	}
	cfg := core.DefaultConfig("solo")
	cfg.Incarnation = 0
	cfg.Timing = testTiming()
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("solo"), Kinds: kindsReg, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	restarts := make(chan core.Hook, 8)
	if err := h.RegisterHook(core.HookChildPidUpdate, "t", func(hk core.Hook) { restarts <- hk }); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 10*time.Second)
	r, err := h.StartChild(ctx, core.ChildSpec{ID: "flaky", Kind: "flaky"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case hk := <-restarts:
		if hk.IDs[0] != "flaky" {
			t.Fatalf("restart hook %+v", hk)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no restart after a panic")
	}
	waitFor(t, 5*time.Second, "restarted instance running", func() bool {
		lc := h.WhichChildrenLocal().Children
		return len(lc) == 1 && lc[0].Instance > 1 && lc[0].Epoch == r.Epoch && lc[0].Status == "running"
	})

	if _, err := h.StartChild(ctx, core.ChildSpec{ID: "fails", Kind: "fails", Restart: core.Temporary}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "failed temporary child unregistered", func() bool {
		_, err := h.Lookup(ctx, "fails", core.Local)
		return errors.Is(err, phub.ErrNotFound)
	})
}
