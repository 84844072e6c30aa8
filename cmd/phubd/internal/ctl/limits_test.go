package ctl

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/cmd/phubd/internal/admin"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// TestStartOverALimitNamesIt runs ctl against a real admin API of a real
// hub: a param over Limits.MaxParamBytes exits 1 with the limit named,
// and nothing is registered.
func TestStartOverALimitNamesIt(t *testing.T) {
	cfg := core.DefaultConfig("n1")
	cfg.Incarnation = 0
	counters := kinds.NewCounters()
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("n1"),
		Kinds: phub.Registry{kinds.CounterKind: counters.Factory}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	api, err := admin.New(admin.Options{Hub: h, Core: cfg, Token: "tok", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	code, out, errOut := run(t, srv, "start", "--kind", "counter", "--await", "--param", "args="+strings.Repeat("a", 1258291), "big")
	if code != 1 || !strings.Contains(out+errOut, "param 'args' is 1.2 MiB, limit 64 KiB (Limits.MaxParamBytes)") {
		t.Fatalf("exit %d, out %q, err %q: want exit 1 naming Limits.MaxParamBytes", code, out, errOut)
	}
	if len(h.List()) != 0 {
		t.Fatalf("refused start registered %d children", len(h.List()))
	}
	code, out, errOut = run(t, srv, "start", "--kind", "counter", "--await", "--param", "args="+strings.Repeat("a", 60<<10), "fits")
	if code != 0 {
		t.Fatalf("a start within the limits: exit %d, out %q, err %q", code, out, errOut)
	}
}
