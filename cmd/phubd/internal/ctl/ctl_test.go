package ctl

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeAPI answers like the admin API and records requests.
func fakeAPI(t *testing.T) (*httptest.Server, *[]string) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+strings.TrimSpace(string(body)))
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			w.Write([]byte(`{"code":"unauthorized","error":"missing bearer token"}`))
			return
		}
		switch {
		case r.URL.Path == "/v1/children" && r.Method == "POST":
			w.Write([]byte(`{"ok":true,"results":[{"id":"a","nodes":["n1"],"epoch":1}]}`))
		case r.URL.Path == "/v1/children" && r.Method == "DELETE":
			w.WriteHeader(404)
			w.Write([]byte(`{"ok":false,"code":"not_found","error":"child \"a\": not found","results":[{"id":"a","code":"not_found","error":"child \"a\": not found"}]}`))
		case r.URL.Path == "/v1/children" && r.Method == "GET":
			w.Write([]byte(`{"node":"n1","count":1,"children":[{"id":"a","kind":"counter","restart":"permanent","epoch":2,"replicas":[{"node":"n1","epoch":2,"active":true}]}]}`))
		case strings.HasPrefix(r.URL.Path, "/v1/children/"):
			if strings.HasSuffix(r.URL.Path, "/terminate") {
				w.Write([]byte(`{"ok":true,"results":[{"id":"a"}]}`))
				return
			}
			w.Write([]byte(`{"id":"a/b","kind":"counter","restart":"permanent","epoch":2,"replicas":[{"node":"n1","epoch":2,"active":true}],"consistency":"owner"}`))
		case r.URL.Path == "/v1/redistribute":
			w.WriteHeader(202)
			w.Write([]byte(`{"ok":true,"initiated":true}`))
		case r.URL.Path == "/v1/which":
			w.Write([]byte(`{"scope":"global","nodes":[{"node":"n1","children":[{"id":"a","kind":"counter","epoch":2,"instance":1,"status":"running","active":true}]}],"unreachable":["n3"]}`))
		case r.URL.Path == "/v1/members":
			w.Write([]byte(`{"node":"n1","partitioned":false,"members":[{"name":"n1","status":"alive","incarnation":5,"addr":"127.0.0.1:1","self":true}]}`))
		case r.URL.Path == "/v1/ring":
			w.Write([]byte(`{"id":"a","node":"n1","view":["n1","n2"],"factor":1,"preference":["n2","n1"],"placement":["n2"],"owner":"n2","registered":true,"epoch":3,"running_on":[{"node":"n2","epoch":3,"active":true}],"on_placement":true}`))
		case r.URL.Path == "/v1/health":
			w.Write([]byte(`{"status":"ok","node":"n1","partitioned":false,"alive":2,"children":1}` + "\n"))
		case r.URL.Path == "/v1/health/live":
			w.Write([]byte(`{"status":"syncing"}` + "\n"))
		case r.URL.Path == "/v1/health/ready":
			w.WriteHeader(503)
			w.Write([]byte(`{"status":"syncing","node":"n1","reason":"not yet synced"}` + "\n"))
		case r.URL.Path == "/metrics":
			w.Write([]byte("phub_partitioned 0\n"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func run(t *testing.T, srv *httptest.Server, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"PHUB_ADMIN_ADDR": srv.URL, "PHUB_ADMIN_TOKEN": "tok"}
	code := Run(args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	srv, seen := fakeAPI(t)
	cases := []struct {
		args    []string
		code    int
		out     string
		request string
	}{
		{[]string{"start", "a", "--await", "--param", "interval_ms=5", "--meta", "tag=x", "--timeout", "3s"}, 0, "n1", `POST /v1/children {"specs":[{"id":"a","kind":"counter","params":{"interval_ms":"5"}}],"await":true,"timeout":"3s","metadata":{"tag":"x"}}`},
		{[]string{"start", "--count", "2", "--prefix", "w-", "--kind", "exec", "--map", "w-0=n1,n2"}, 0, "ok", `"id":"w-1","kind":"exec"`},
		{[]string{"stop", "--await", "a"}, 1, "not found", `DELETE /v1/children {"ids":["a"],"await":true}`},
		{[]string{"terminate", "a"}, 0, "ok", "POST /v1/children/a/terminate"},
		{[]string{"redistribute", "--node", "n2", "a"}, 0, "initiated", `POST /v1/redistribute {"ids":["a"],"node":"n2"}`},
		{[]string{"get", "--consistency", "owner", "a/b"}, 0, "n1@2", "GET /v1/children/a%2Fb?consistency=owner"},
		{[]string{"list", "--tag", "x"}, 0, "1 children", "GET /v1/children?tag=x"},
		{[]string{"which", "--global"}, 0, "unreachable: n3", "GET /v1/which?scope=global"},
		{[]string{"members"}, 0, "127.0.0.1:1", "GET /v1/members"},
		{[]string{"ring", "a"}, 0, "n2 > n1", "GET /v1/ring?id=a"},
		{[]string{"health"}, 0, "n1: ok", "GET /v1/health"},
		{[]string{"health", "--live"}, 0, "syncing", "GET /v1/health/live"},
		{[]string{"health", "--ready"}, 1, "not yet synced", "GET /v1/health/ready"},
		{[]string{"health", "--ready", "--live"}, 2, "", ""},
		{[]string{"metrics"}, 0, "phub_partitioned 0", "GET /metrics"},
		{[]string{"-o", "json", "members"}, 0, `"incarnation": 5`, "GET /v1/members"},
		{[]string{"--token", "bad", "members"}, 1, "", "GET /v1/members"},
		{[]string{"stop"}, 2, "", ""},
		{[]string{"frobnicate"}, 2, "", ""},
		{[]string{"-o", "yaml", "members"}, 2, "", ""},
	}
	for _, c := range cases {
		*seen = nil
		code, out, errOut := run(t, srv, c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("%v: exit %d (want %d), stdout:\n%s\nstderr: %s", c.args, code, c.code, out, errOut)
		}
		if c.request != "" && (len(*seen) != 1 || !strings.Contains((*seen)[0], c.request)) {
			t.Errorf("%v: requests %q, want one containing %q", c.args, *seen, c.request)
		}
	}
	// JSON output is valid JSON.
	_, out, _ := run(t, srv, "which", "--global", "-o", "json")
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
}
