package admin

import (
	"context"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// The probes answer without a token but write the detail only with it;
// a formed cluster is live and ready.
func TestHealthProbes(t *testing.T) {
	n := newCluster(t, 2, nil)[0]
	for _, p := range []string{adminapi.PathHealth, adminapi.PathHealthLive, adminapi.PathHealthReady} {
		st, body := callTok(t, n, "GET", p, "", "")
		expect(t, st, body, http.StatusOK, `"status": "ok"`)
		if h := decodeAs[map[string]any](t, body); len(h) != 1 {
			t.Fatalf("%s without a token shows more than its status: %s", p, body)
		}
		st, body = callTok(t, n, "GET", p, "", "wrong")
		if h := decodeAs[map[string]any](t, body); st != http.StatusOK || len(h) != 1 {
			t.Fatalf("%s with a wrong token: %d %s", p, st, body)
		}
		st, body = call(t, n, "GET", p, "")
		h := decodeAs[adminapi.HealthResponse](t, body)
		if st != http.StatusOK || !h.Live || !h.Ready || !h.Synced || h.Alive != 2 || h.Members != 2 || h.Node != "n1" || h.LoopDelay == "" {
			t.Fatalf("%s detail: %d %s", p, st, body)
		}
	}
}

// A node whose seed never answers is live but not ready until it gives up
// waiting for peers (DownAfter) and counts itself synced alone.
func TestReadyWaitsForSync(t *testing.T) {
	cfg := fastCore("lonely", []core.NodeID{"ghost"})
	cfg.Timing.DownAfter = 4 * time.Second
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("lonely"), Logger: quiet(),
		Kinds: phub.Registry{kinds.CounterKind: kinds.NewCounters().Factory}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Hub: h, Core: cfg, Token: token, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	n := &testNode{hub: h, srv: srv, cfg: cfg}
	st, body := callTok(t, n, "GET", adminapi.PathHealthReady, "", "")
	expect(t, st, body, http.StatusServiceUnavailable, `"status": "syncing"`)
	st, body = call(t, n, "GET", adminapi.PathHealthReady, "")
	expect(t, st, body, http.StatusServiceUnavailable, `"reason": "the node has not yet received a full registry sync`)
	st, body = callTok(t, n, "GET", adminapi.PathHealthLive, "", "")
	expect(t, st, body, http.StatusOK, `"status": "syncing"`)
	waitFor(t, "ready alone after DownAfter", func() bool {
		st, _ := callTok(t, n, "GET", adminapi.PathHealthReady, "", "")
		return st == http.StatusOK
	})
	// A closed hub's loop is gone: not live.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.Close(ctx)
	st, body = call(t, n, "GET", adminapi.PathHealthLive, "")
	expect(t, st, body, http.StatusServiceUnavailable, `"status": "stalled"`)
	st, body = callTok(t, n, "GET", adminapi.PathHealthReady, "", "")
	expect(t, st, body, http.StatusServiceUnavailable, `"status": "stalled"`)
}

func TestPprofBehindToken(t *testing.T) {
	n := newCluster(t, 1, nil)[0]
	st, body := callTok(t, n, "GET", "/debug/pprof/goroutine?debug=1", "", "")
	expect(t, st, body, http.StatusUnauthorized, "missing bearer token")
	st, body = callTok(t, n, "GET", "/debug/pprof/cmdline", "", "wrong")
	expect(t, st, body, http.StatusUnauthorized, "wrong bearer token")
	st, body = call(t, n, "GET", "/debug/pprof/goroutine?debug=1", "")
	expect(t, st, body, http.StatusOK, "goroutine profile:")
	st, body = call(t, n, "GET", "/debug/pprof/", "")
	expect(t, st, body, http.StatusOK, "heap")
}
