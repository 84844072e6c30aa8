package phub_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// readyChild signals readiness once release is closed, or fails its
// start with failWith.
type readyChild struct {
	entered  chan struct{}
	release  chan struct{}
	failWith error
}

func (c *readyChild) SignalsReady() bool { return true }

func (c *readyChild) Run(ctx context.Context, env phub.ChildEnv) error {
	if c.entered != nil {
		close(c.entered)
	}
	if c.failWith != nil {
		return c.failWith
	}
	select {
	case <-c.release:
	case <-ctx.Done():
		return nil
	}
	phub.Ready(env)
	<-ctx.Done()
	return nil
}

func soloHub(t *testing.T, kinds phub.Registry) *phub.Hub {
	t.Helper()
	cfg := core.DefaultConfig("solo")
	cfg.Incarnation = 0
	cfg.Timing = testTiming()
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("solo"), Kinds: kinds, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

// An awaited start of a ReadySignaler is answered only after the child
// called Ready; until then the instance shows as starting.
func TestAwaitedStartWaitsForReady(t *testing.T) {
	slow := &readyChild{entered: make(chan struct{}), release: make(chan struct{})}
	h := soloHub(t, phub.Registry{"slow": func(core.ChildSpec) (phub.Child, error) { return slow, nil }})
	ctx := ctxT(t, 20*time.Second)
	type answer struct {
		r   phub.ChildResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		r, err := h.StartChild(ctx, core.ChildSpec{ID: "s", Kind: "slow"}, phub.Timeout(15*time.Second))
		done <- answer{r, err}
	}()
	<-slow.entered
	waitFor(t, 5*time.Second, "instance shown as starting", func() bool {
		lc := h.WhichChildrenLocal().Children
		return len(lc) == 1 && lc[0].Status == "starting"
	})
	select {
	case a := <-done:
		t.Fatalf("start answered before the child was ready: %+v %v", a.r, a.err)
	default:
	}
	close(slow.release)
	a := <-done
	if a.err != nil {
		t.Fatalf("start after ready: %v", a.err)
	}
	// The local snapshot is republished just after the reply: poll it.
	waitFor(t, 5*time.Second, "instance shown as running", func() bool {
		lc := h.WhichChildrenLocal().Children
		return len(lc) == 1 && lc[0].Status == "running"
	})
}

// A ReadySignaler whose Run fails before it is ready fails the awaited
// start with ErrStartFailed and the reason, and is not registered.
func TestStartFailsBeforeReady(t *testing.T) {
	bad := &readyChild{failWith: errors.New("port 8080 in use")}
	h := soloHub(t, phub.Registry{"bad": func(core.ChildSpec) (phub.Child, error) { return bad, nil }})
	ctx := ctxT(t, 20*time.Second)
	_, err := h.StartChild(ctx, core.ChildSpec{ID: "b", Kind: "bad"})
	if !errors.Is(err, phub.ErrStartFailed) {
		t.Fatalf("start: %v, want ErrStartFailed", err)
	}
	if !strings.Contains(err.Error(), "port 8080 in use") {
		t.Errorf("start error %q does not carry the child's reason", err)
	}
	if _, err := h.Lookup(ctx, "b", core.Owner); !errors.Is(err, phub.ErrNotFound) {
		t.Errorf("owner lookup after a failed start: %v, want ErrNotFound", err)
	}
}
