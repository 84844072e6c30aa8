package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

const token = "s3cret-token"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func fastCore(name core.NodeID, seeds []core.NodeID) core.Config {
	c := core.DefaultConfig(name)
	c.Incarnation = 0
	c.Seeds = seeds
	c.AdvertiseAddr = string(name)
	c.Timing = core.LocalTiming()
	return c
}

type testNode struct {
	hub    *phub.Hub
	srv    *httptest.Server
	cfg    core.Config
	server *Server
}

func (n *testNode) s() *Server { return n.server }

// newCluster starts n hubs over an in-memory network, each with an admin
// server, and waits for the cluster to form.
func newCluster(t *testing.T, n int, tweak func(*core.Config)) []*testNode {
	t.Helper()
	net := transport.NewInmemNetwork()
	var names []core.NodeID
	for i := 0; i < n; i++ {
		names = append(names, core.NodeID(fmt.Sprintf("n%d", i+1)))
	}
	var out []*testNode
	for _, name := range names {
		var seeds []core.NodeID
		for _, s := range names {
			if s != name {
				seeds = append(seeds, s)
			}
		}
		cfg := fastCore(name, seeds)
		if tweak != nil {
			tweak(&cfg)
		}
		counters := kinds.NewCounters()
		h, err := phub.New(phub.Config{Core: cfg, Transport: net.Endpoint(name), Logger: quiet(),
			Kinds: phub.Registry{kinds.CounterKind: counters.Factory, "unstartable": unstartable}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Options{Hub: h, Core: cfg, Token: token, Logger: quiet(), Counter: counters.Info,
			Traffic: func() (map[string]uint64, map[string]uint64, uint64) {
				return map[string]uint64{"heartbeat": 3}, map[string]uint64{"heartbeat": 2}, 1
			}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		t.Cleanup(func() {
			srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.Close(ctx)
		})
		out = append(out, &testNode{hub: h, srv: srv, cfg: cfg, server: s})
	}
	waitFor(t, "cluster formed", func() bool {
		for _, tn := range out {
			if len(tn.hub.Alive()) != n {
				return false
			}
		}
		return true
	})
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// call sends a request with the token and returns status and body.
func call(t *testing.T, n *testNode, method, path, body string) (int, string) {
	t.Helper()
	return callTok(t, n, method, path, body, token)
}

func callTok(t *testing.T, n *testNode, method, path, body, tok string) (int, string) {
	t.Helper()
	header := ""
	if tok != "" {
		header = "Bearer " + tok
	}
	return callAuth(t, n, method, path, body, header)
}

// callHeader sends a bodiless request with the given Authorization header.
func callHeader(t *testing.T, n *testNode, method, path, header string) (int, string) {
	t.Helper()
	return callAuth(t, n, method, path, "", header)
}

func callAuth(t *testing.T, n *testNode, method, path, body, header string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, n.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func decodeAs[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, body)
	}
	return v
}

func expect(t *testing.T, status int, body string, wantStatus int, wantSub string) {
	t.Helper()
	if status != wantStatus || !strings.Contains(body, wantSub) {
		t.Fatalf("got %d %s\nwant %d containing %q", status, body, wantStatus, wantSub)
	}
}

func TestAuth(t *testing.T) {
	n := newCluster(t, 1, nil)[0]
	for _, p := range []struct{ method, path string }{
		{"GET", "/v1/children"}, {"POST", "/v1/children"}, {"DELETE", "/v1/children"},
		{"GET", "/v1/children/x"}, {"POST", "/v1/children/x/terminate"}, {"POST", "/v1/redistribute"},
		{"GET", "/v1/which"}, {"GET", "/v1/members"}, {"GET", "/v1/ring?id=x"}, {"GET", "/metrics"},
	} {
		st, body := callTok(t, n, p.method, p.path, "", "")
		expect(t, st, body, http.StatusUnauthorized, "missing bearer token")
		st, body = callTok(t, n, p.method, p.path, "", "wrong")
		expect(t, st, body, http.StatusUnauthorized, "wrong bearer token")
	}
	// The scheme is case-insensitive (RFC 7235); the token is not.
	for _, scheme := range []string{"bearer", "BEARER", "Bearer", "bEaReR"} {
		st, body := callHeader(t, n, "GET", "/v1/members", scheme+" "+token)
		expect(t, st, body, http.StatusOK, `"members"`)
	}
	st, body := callHeader(t, n, "GET", "/v1/members", "bearer "+strings.ToUpper(token))
	expect(t, st, body, http.StatusUnauthorized, "wrong bearer token")
	st, body = callHeader(t, n, "GET", "/v1/members", "Basic "+token)
	expect(t, st, body, http.StatusUnauthorized, "missing bearer token")
	// Health is open, for probes.
	st, body = callTok(t, n, "GET", "/v1/health", "", "")
	expect(t, st, body, http.StatusOK, `"status": "ok"`)
}

func TestStartLookupStop(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	a := nodes[0]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"c1","kind":"counter"},{"id":"c2","kind":"counter","params":{"interval_ms":"5"},"restart":"transient"}],
		"await":true,"timeout":"3s","metadata":{"tag":"blue"}}`)
	expect(t, st, body, http.StatusOK, `"ok": true`)
	op := decodeAs[adminapi.OpResponse](t, body)
	if len(op.Results) != 2 || op.Results[0].Epoch == 0 || len(op.Results[0].Nodes) != 1 {
		t.Fatalf("results: %+v", op.Results)
	}
	// Already started: request-level 409.
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"c1","kind":"counter"}],"await":true}`)
	expect(t, st, body, http.StatusConflict, "already_started")
	// With skip_check the owner refuses it per child: still 409.
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"c1","kind":"counter"}],"await":true,"skip_check":true}`)
	expect(t, st, body, http.StatusConflict, "already_started")
	// Not awaited: 202 initiated.
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"c3","kind":"counter"}]}`)
	expect(t, st, body, http.StatusAccepted, `"initiated": true`)

	// Lookups, local and owner.
	waitFor(t, "c3 registered", func() bool { st, _ := call(t, a, "GET", "/v1/children/c3", ""); return st == 200 })
	st, body = call(t, a, "GET", "/v1/children/c2", "")
	expect(t, st, body, http.StatusOK, `"restart": "transient"`)
	e := decodeAs[adminapi.Entry](t, body)
	if e.Consistency != "local" || e.Metadata["tag"] != "blue" || len(e.Replicas) != 1 || e.Params["interval_ms"] != "5" {
		t.Fatalf("entry %+v", e)
	}
	st, body = call(t, nodes[1], "GET", "/v1/children/c2?consistency=owner", "")
	expect(t, st, body, http.StatusOK, `"consistency": "owner"`)
	st, body = call(t, a, "GET", "/v1/children/nope?consistency=owner", "")
	expect(t, st, body, http.StatusNotFound, "not_found")
	st, body = call(t, a, "GET", "/v1/children/nope", "")
	expect(t, st, body, http.StatusNotFound, "not_found")
	st, body = call(t, a, "GET", "/v1/children/c1?consistency=strong", "")
	expect(t, st, body, http.StatusBadRequest, "consistency: want local or owner")

	// List and tags.
	st, body = call(t, a, "GET", "/v1/children", "")
	expect(t, st, body, http.StatusOK, `"count": 3`)
	st, body = call(t, a, "GET", "/v1/children?tag=blue", "")
	expect(t, st, body, http.StatusOK, `"count": 2`)
	st, body = call(t, a, "GET", "/v1/children?tag=red", "")
	expect(t, st, body, http.StatusOK, `"count": 0`)
	st, body = call(t, a, "GET", "/v1/children?color=red", "")
	expect(t, st, body, http.StatusBadRequest, `unknown query parameter`)

	// Stop: awaited, unknown id, not awaited.
	st, body = call(t, a, "DELETE", "/v1/children", `{"ids":["c1"],"await":true}`)
	expect(t, st, body, http.StatusOK, `"ok": true`)
	st, body = call(t, a, "DELETE", "/v1/children", `{"ids":["c1"],"await":true}`)
	expect(t, st, body, http.StatusNotFound, "not_found")
	st, body = call(t, a, "DELETE", "/v1/children", `{"ids":["c2","zz"],"await":true}`)
	expect(t, st, body, http.StatusOK, `"ok": false`)
	st, body = call(t, a, "DELETE", "/v1/children", `{"ids":["c3"]}`)
	expect(t, st, body, http.StatusAccepted, `"initiated": true`)
}

func TestBadInput(t *testing.T) {
	a := newCluster(t, 1, nil)[0]
	cases := []struct {
		method, path, body string
		status             int
		sub                string
	}{
		{"POST", "/v1/children", `{"specs":[`, 400, "malformed JSON"},
		{"POST", "/v1/children", ``, 400, "empty body"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"}]} {}`, 400, "trailing data"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"}],"colour":1}`, 400, `unknown field \"colour\"`},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter","x":1}]}`, 400, `unknown field \"x\"`},
		{"POST", "/v1/children", `{"specs":[]}`, 400, "specs: empty list"},
		{"POST", "/v1/children", `{"specs":"a"}`, 400, `field \"specs\"`},
		{"POST", "/v1/children", `{"specs":[{"id":"","kind":"counter"}]}`, 400, "specs[0].id: invalid child id: empty"},
		{"POST", "/v1/children", `{"specs":[{"id":"` + strings.Repeat("x", 300) + `","kind":"counter"}]}`, 413, "is 300 B, limit 256 B (Limits.MaxChildIDBytes)"},
		{"POST", "/v1/children", `{"specs":[{"id":"big","kind":"counter","params":{"args":"` + strings.Repeat("a", 1258291) + `"}}],"await":true}`, 413, `param 'args' is 1.2 MiB, limit 64 KiB (Limits.MaxParamBytes)`},
		{"POST", "/v1/children", `{"specs":[{"id":"big","kind":"counter"}],"metadata":{"tag":"` + strings.Repeat("t", 17<<10) + `"}}`, 413, `metadata (tag) is 17 KiB, limit 16 KiB (Limits.MaxMetadataBytes)`},
		{"DELETE", "/v1/children", `{"ids":["` + strings.Repeat("x", 257) + `"]}`, 413, "ids[0]: limit exceeded"},
		{"POST", "/v1/children", `{"specs":[{"id":"a\u0001","kind":"counter"}]}`, 400, "control character"},
		{"POST", "/v1/children", `{"specs":[{"id":"a"}]}`, 400, "specs[0].kind: required"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter","restart":"sometimes"}]}`, 400, "specs[0].restart"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"}],"await":true,"timeout":"soon"}`, 400, "timeout: want a duration"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"}],"await":true,"timeout":"-1s"}`, 400, "timeout: must be in"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"}],"timeout":"1s"}`, 400, "timeout: requires await"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"}],"rollback":true}`, 400, "rollback: requires await"},
		{"POST", "/v1/children", `{"specs":[{"id":"a","kind":"counter"},{"id":"a","kind":"counter"}],"await":true}`, 400, "duplicate id"},
		{"DELETE", "/v1/children", `{"ids":[]}`, 400, "ids: empty list"},
		{"DELETE", "/v1/children", `{}`, 400, "ids: empty list"},
		{"DELETE", "/v1/children", `{"ids":["a","a"]}`, 400, "duplicate id"},
		{"DELETE", "/v1/children", `{"ids":[""]}`, 400, "ids[0]: invalid child id"},
		{"DELETE", "/v1/children", `{"ids":["a"],"await":true,"timeout":"10 seconds"}`, 400, "timeout: want a duration"},
		{"POST", "/v1/redistribute", `{"ids":["a"]}`, 400, "node: required"},
		{"POST", "/v1/redistribute", `{"ids":[],"node":"n1"}`, 400, "ids: empty list"},
		{"POST", "/v1/redistribute", `{"ids":["nope"],"node":"n1"}`, 409, "nothing_to_redistribute"},
		{"POST", "/v1/children/nope/terminate", ``, 404, "not_found"},
		{"GET", "/v1/which?scope=everywhere", ``, 400, "scope: want local or global"},
		{"GET", "/v1/which?scope=global&timeout=x", ``, 400, "timeout: want a duration"},
		{"GET", "/v1/ring", ``, 400, "id: invalid child id: empty"},
		{"GET", "/v1/nothing", ``, 404, "no endpoint"},
		{"PUT", "/v1/children", ``, 404, "no endpoint"},
	}
	for _, c := range cases {
		st, body := call(t, a, c.method, c.path, c.body)
		if st != c.status || !strings.Contains(body, c.sub) {
			t.Errorf("%s %s %.60s: got %d %s\nwant %d containing %q", c.method, c.path, c.body, st, body, c.status, c.sub)
		}
		if !strings.HasPrefix(strings.TrimSpace(body), "{") {
			t.Errorf("%s %s: not a JSON body: %s", c.method, c.path, body)
		}
	}
}

// unstartable passes the entry's check but cannot be built where it runs.
func unstartable(core.ChildSpec) (phub.Child, error) { return nil, errors.New("cannot build it here") }

func TestStartFailedRollback(t *testing.T) {
	a := newCluster(t, 1, nil)[0]
	// Known at the entry: an unknown kind or an invalid parameter is 400.
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"bad","kind":"nosuchkind"}],"await":true,"timeout":"2s"}`)
	expect(t, st, body, http.StatusBadRequest, "invalid_spec")
	if !strings.Contains(body, "nosuchkind") {
		t.Fatalf("unknown kind: reason missing: %s", body)
	}
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"bad","kind":"counter","params":{"interval_ms":"often"}}],"await":true,"timeout":"2s"}`)
	expect(t, st, body, http.StatusBadRequest, "invalid_spec")
	if !strings.Contains(body, "interval_ms") {
		t.Fatalf("bad parameter: reason missing: %s", body)
	}
	// Known only where the child runs: 422.
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"bad","kind":"unstartable"}],"await":true,"timeout":"2s"}`)
	expect(t, st, body, http.StatusUnprocessableEntity, "start_failed")
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"good","kind":"counter"},{"id":"bad2","kind":"unstartable"}],"await":true,"rollback":true,"timeout":"2s"}`)
	expect(t, st, body, http.StatusConflict, "rolled_back")
	waitFor(t, "good rolled back", func() bool { st, _ := call(t, a, "GET", "/v1/children/good", ""); return st == 404 })
}

func TestTerminateRedistributeWhichMembers(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	a := nodes[0]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"t1","kind":"counter"},{"id":"t2","kind":"counter"},{"id":"t3","kind":"counter"},{"id":"t4","kind":"counter"}],"await":true}`)
	expect(t, st, body, 200, `"ok": true`)
	op := decodeAs[adminapi.OpResponse](t, body)
	holder := map[string]*testNode{"n1": nodes[0], "n2": nodes[1]}

	// which: local and global.
	st, body = call(t, a, "GET", "/v1/which", "")
	expect(t, st, body, 200, `"scope": "local"`)
	st, body = call(t, a, "GET", "/v1/which?scope=global&timeout=2s", "")
	expect(t, st, body, 200, `"scope": "global"`)
	w := decodeAs[adminapi.WhichResponse](t, body)
	total := 0
	for _, n := range w.Nodes {
		total += len(n.Children)
	}
	if len(w.Nodes) != 2 || total != 4 || len(w.Unreachable) != 0 {
		t.Fatalf("which global: %+v", w)
	}

	// members.
	st, body = call(t, a, "GET", "/v1/members", "")
	m := decodeAs[adminapi.MembersResponse](t, body)
	if st != 200 || len(m.Members) != 2 || !m.Members[0].Self || m.Members[1].Status != "alive" {
		t.Fatalf("members: %d %s", st, body)
	}

	// ring: the child runs on its placement.
	r0 := op.Results[0]
	st, body = call(t, a, "GET", "/v1/ring?id="+r0.ID, "")
	ring := decodeAs[adminapi.RingResponse](t, body)
	if st != 200 || !ring.Registered || !ring.OnPlacement || ring.Owner != r0.Nodes[0] || ring.Epoch != r0.Epoch ||
		len(ring.Preference) != 2 || ring.Preference[0] != ring.Owner || ring.Factor != 1 {
		t.Fatalf("ring: %d %s", st, body)
	}
	st, body = call(t, a, "GET", "/v1/ring?id=unknown-child", "")
	expect(t, st, body, 200, `"registered": false`)

	// redistribute to a node that is not in the placement.
	other := "n1"
	if r0.Nodes[0] == "n1" {
		other = "n2"
	}
	st, body = call(t, a, "POST", "/v1/redistribute", fmt.Sprintf(`{"ids":[%q],"node":%q}`, r0.ID, other))
	if st != 202 && st != 409 && st != 400 {
		t.Fatalf("redistribute: %d %s", st, body)
	}
	st, body = call(t, a, "POST", "/v1/redistribute", fmt.Sprintf(`{"ids":[%q],"node":"ghost"}`, r0.ID))
	if st != 400 && st != 409 {
		t.Fatalf("redistribute to unknown node: %d %s", st, body)
	}

	// terminate, from the node that runs it.
	st, body = call(t, holder[r0.Nodes[0]], "POST", "/v1/children/"+r0.ID+"/terminate", "")
	expect(t, st, body, 200, `"ok": true`)
	waitFor(t, "terminated", func() bool { st, _ := call(t, a, "GET", "/v1/children/"+r0.ID, ""); return st == 404 })
}

// Path ids are unescaped: ids may hold slashes.
func TestEscapedIDs(t *testing.T) {
	a := newCluster(t, 1, nil)[0]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"team/a b","kind":"counter"}],"await":true}`)
	expect(t, st, body, 200, `"ok": true`)
	st, body = call(t, a, "GET", "/v1/children/team%2Fa%20b", "")
	expect(t, st, body, 200, `"id": "team/a b"`)
	st, body = call(t, a, "GET", "/v1/ring?id=team%2Fa+b", "")
	expect(t, st, body, 200, `"on_placement": true`)
	st, body = call(t, a, "POST", "/v1/children/team%2Fa%20b/terminate", "")
	expect(t, st, body, 200, `"ok": true`)
}

func TestPartitioned(t *testing.T) {
	a := newCluster(t, 1, func(c *core.Config) {
		c.Partition.Kind = core.StaticQuorum
		c.Partition.QuorumSize = 2
	})[0]
	waitFor(t, "partitioned", a.hub.Partitioned)
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"p","kind":"counter"}],"await":true}`)
	expect(t, st, body, http.StatusServiceUnavailable, "partitioned")
	st, body = callTok(t, a, "GET", "/v1/health", "", "")
	expect(t, st, body, http.StatusServiceUnavailable, `"status": "partitioned"`)
	st, body = call(t, a, "GET", "/metrics", "")
	expect(t, st, body, 200, "phub_partitioned 1")
}

func TestMetrics(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	a := nodes[0]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"m1","kind":"counter"},{"id":"m2","kind":"counter"},{"id":"m3","kind":"counter"}],"await":true}`)
	expect(t, st, body, 200, `"ok": true`)
	waitFor(t, "registry insert hooks counted", func() bool {
		_, body := call(t, a, "GET", "/metrics", "")
		return !strings.Contains(body, `phub_hooks_total{kind="registry_pid_insert"} 0`)
	})
	st, body = call(t, a, "GET", "/metrics", "")
	for _, want := range []string{
		"phub_local_children ", `phub_registry_children{node="n1"}`, `phub_registry_children{node="n2"}`,
		"phub_registry_entries 3", "phub_registry_tombstones 0", `phub_core_table_size{table="claims"}`,
		`phub_members{status="alive"} 2`, "phub_partitioned 0", "phub_hooks_dropped_total 0",
		`phub_messages_sent_total{kind="heartbeat"} 3`, `phub_messages_received_total{kind="heartbeat"} 2`,
		"phub_send_errors_total 1", `phub_hooks_total{kind="post_cluster_join"} 1`,
		"phub_redistributions_total", "phub_children_migrated_total", "go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if st != 200 || t.Failed() {
		t.Fatalf("metrics (%d):\n%s", st, body)
	}
}

// The preference list mirrors core's ring: with one replica per node the
// hub's placement is the whole preference list.
func TestPreferenceMatchesHubPlacement(t *testing.T) {
	nodes := newCluster(t, 3, func(c *core.Config) { c.Redundancy.Factor = core.ClusterSize })
	h := nodes[0].hub
	view := h.Alive()
	for i := 0; i < 300; i++ {
		id := core.ChildID(fmt.Sprintf("child-%d", i))
		pl, err := h.Placement(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got := preference(view, nodes[0].cfg.Distribution.VirtualNodes, id); !slices.Equal(got, pl) {
			t.Fatalf("%s: preference %v, hub placement %v", id, got, pl)
		}
	}
}
