package ctl

import (
	"context"
	"fmt"
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

// realAPI starts two hubs over an in-memory network and an admin server
// on the first; it returns the server and the hubs.
func realAPI(t *testing.T) (*httptest.Server, []*phub.Hub) {
	t.Helper()
	net := transport.NewInmemNetwork()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var hubs []*phub.Hub
	var cfg0 core.Config
	for _, name := range []core.NodeID{"n1", "n2"} {
		cfg := core.DefaultConfig(name)
		cfg.AdvertiseAddr = string(name)
		cfg.Seeds = []core.NodeID{"n1", "n2"}
		cfg.Timing = core.LocalTiming()
		h, err := phub.New(phub.Config{Core: cfg, Transport: net.Endpoint(name), Logger: quiet,
			Kinds: phub.Registry{kinds.CounterKind: kinds.NewCounters().Factory}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.Close(ctx)
		})
		if len(hubs) == 0 {
			cfg0 = cfg
		}
		hubs = append(hubs, h)
	}
	srv, err := admin.New(admin.Options{Hub: hubs[0], Core: cfg0, Token: "tok", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	deadline := time.Now().Add(10 * time.Second)
	for len(hubs[0].Alive()) != 2 || len(hubs[1].Alive()) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("cluster did not form")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return hs, hubs
}

// row returns the fields of the table row of id in out.
func row(t *testing.T, out, id string) []string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == id {
			return f
		}
	}
	t.Fatalf("no row for %s in:\n%s", id, out)
	return nil
}

// Stop and terminate print where each child ran and which epoch ended;
// they used to print an empty nodes column and epoch 0.
func TestStopTerminateShowWhereAndEpoch(t *testing.T) {
	srv, _ := realAPI(t)
	code, out, errOut := run(t, srv, "start", "--await", "--count", "4", "--prefix", "c")
	if code != 0 {
		t.Fatalf("start: exit %d\n%s%s", code, out, errOut)
	}
	started := map[string][]string{}
	for i := 0; i < 4; i++ {
		id := fmt.Sprintf("c%d", i)
		started[id] = row(t, out, id) // ID NODES EPOCH RESULT
	}
	code, out, errOut = run(t, srv, "stop", "--await", "c0", "c1", "c2")
	if code != 0 || !strings.Contains(out, "WAS ON") || !strings.Contains(out, "ENDED EPOCH") {
		t.Fatalf("stop: exit %d\n%s%s", code, out, errOut)
	}
	for _, id := range []string{"c0", "c1", "c2"} {
		f := row(t, out, id)
		if f[1] != started[id][1] || f[2] != started[id][2] || f[2] == "0" || f[3] != "ok" {
			t.Errorf("stop row %v, started as %v: want the same nodes and epoch", f, started[id])
		}
	}
	code, out, errOut = run(t, srv, "terminate", "c3")
	if code != 0 {
		t.Fatalf("terminate: exit %d\n%s%s", code, out, errOut)
	}
	if f := row(t, out, "c3"); f[1] != started["c3"][1] || f[2] != started["c3"][2] || f[3] != "ok" {
		t.Errorf("terminate row %v, started as %v: want the same nodes and epoch", f, started["c3"])
	}
	// An unknown child has neither: dashes, not an empty column and 0.
	code, out, _ = run(t, srv, "stop", "--await", "nope")
	if f := row(t, out, "nope"); code != 1 || f[1] != "-" || f[2] != "-" {
		t.Errorf("stop of an unknown child: exit %d row %v", code, f)
	}
}
