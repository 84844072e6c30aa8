package ctl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/cmd/phubd/internal/admin"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// events --follow resumes after the node ends a stream, from the last
// event it printed, and announces events the node no longer keeps.
func TestEventsFollowResumes(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RequestURI())
		n := len(queries)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			w.Write([]byte(`{"code":"unauthorized","error":"wrong bearer token"}`))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			fmt.Fprint(w, "retry: 1000\n\nevent: lost\ndata: 7\n\n: keepalive\n\nid: 8\nevent: hook\ndata: {\"seq\":8,\"kind\":\"post_cluster_join\",\"summary\":\"n2 joined\"}\n\n")
			return // the stream ends: the client resumes
		}
		fmt.Fprint(w, "id: 9\nevent: hook\ndata: {\"seq\":9,\"kind\":\"registry_pid_insert\",\"summary\":\"a runs on n2\"}\n\n")
	}))
	defer srv.Close()
	code, out, errOut := run(t, srv, "events", "--follow", "--since", "0", "-n", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"(7 earlier events are no longer kept by the node)", "8\t", "post_cluster_join\tn2 joined", "9\t", "a runs on n2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(queries) != 2 || queries[0] != "/v1/events/stream?since=0" || queries[1] != "/v1/events/stream?since=8" {
		t.Fatalf("requests: %q", queries)
	}
	code, _, errOut = run(t, srv, "--token", "bad", "events", "--follow")
	if code != 1 || !strings.Contains(errOut, "HTTP 401 unauthorized") {
		t.Fatalf("wrong token: exit %d %s", code, errOut)
	}
}

// Against a real node: the events of a start arrive on the followed
// stream, and the plain listing shows the kept ones.
func TestEventsFromARealNode(t *testing.T) {
	cfg := core.DefaultConfig("n1")
	cfg.Incarnation = 0
	cfg.Timing.TickInterval = 5 * time.Millisecond
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("n1"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Kinds: phub.Registry{kinds.CounterKind: kinds.NewCounters().Factory}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	s, err := admin.New(admin.Options{Hub: h, Core: cfg, Token: "tok", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		env := map[string]string{"PHUB_ADMIN_ADDR": srv.URL, "PHUB_ADMIN_TOKEN": "tok"}
		code := Run([]string{"events", "--follow", "-o", "json", "-n", "2"}, func(k string) string { return env[k] }, &out, &errb)
		done <- result{code, out.String(), errb.String()}
	}()
	// Start children until the stream has delivered two events (the
	// stream may connect after the first start).
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		if _, err := h.StartChildren(context.Background(), []core.ChildSpec{{ID: core.ChildID(fmt.Sprint("e", i)), Kind: kinds.CounterKind}}, phub.Await()); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-done:
			if r.code != 0 || strings.Count(r.out, "\n") != 2 || !strings.Contains(r.out, `"seq":`) {
				t.Fatalf("events --follow: exit %d\n%s\n%s", r.code, r.out, r.err)
			}
			code, out, _ := run(t, srv, "events")
			if code != 0 || !strings.Contains(out, "registry_pid_insert\te0 runs on n1") {
				t.Fatalf("events: exit %d\n%s", code, out)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("events --follow printed no two events")
		}
	}
}
