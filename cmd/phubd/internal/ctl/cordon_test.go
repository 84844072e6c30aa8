package ctl

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// cordon, uncordon and drain call the admin API; drain polls until the
// node runs nothing and fails, naming what is left, at its timeout.
func TestCordonDrain(t *testing.T) {
	var polls atomic.Int32
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.RequestURI())
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/nodes/n9/"):
			w.WriteHeader(400)
			w.Write([]byte(`{"ok":false,"code":"unknown_node","error":"unknown node: \"n9\""}`))
		case strings.HasPrefix(r.URL.Path, "/v1/nodes/"):
			w.Write([]byte(`{"ok":true,"results":[{"id":"n2"}]}`))
		case r.URL.Path == "/v1/which":
			children := `[]`
			if polls.Add(1) < 3 {
				children = `[{"id":"a","kind":"counter","epoch":2,"instance":1,"status":"running","active":true}]`
			}
			w.Write([]byte(`{"scope":"global","nodes":[{"node":"n1","children":[]},{"node":"n2","children":` + children + `}]}`))
		}
	}))
	defer srv.Close()
	code, out, errOut := run(t, srv, "cordon", "n2")
	if code != 0 || !strings.Contains(out, "n2: cordoned") || seen[len(seen)-1] != "POST /v1/nodes/n2/cordon" {
		t.Fatalf("cordon: %d %q %q %v", code, out, errOut, seen)
	}
	code, out, _ = run(t, srv, "uncordon", "n2")
	if code != 0 || !strings.Contains(out, "n2: uncordoned") || seen[len(seen)-1] != "POST /v1/nodes/n2/uncordon" {
		t.Fatalf("uncordon: %d %q %v", code, out, seen)
	}
	code, _, errOut = run(t, srv, "cordon", "n9")
	if code != 1 || !strings.Contains(errOut, "unknown_node") {
		t.Fatalf("cordon of an unknown node: %d %q", code, errOut)
	}
	code, _, errOut = run(t, srv, "cordon")
	if code != 2 {
		t.Fatalf("cordon without a node: exit %d (%q), want 2", code, errOut)
	}
	code, out, errOut = run(t, srv, "drain", "--interval", "1ms", "n2")
	if code != 0 || !strings.Contains(out, "n2: cordoned and drained") || polls.Load() != 3 {
		t.Fatalf("drain: %d %q %q after %d polls", code, out, errOut, polls.Load())
	}
	polls.Store(-1000)
	code, _, errOut = run(t, srv, "drain", "--interval", "1ms", "--timeout", "20ms", "n2")
	if code != 1 || !strings.Contains(errOut, "still runs 1 children") {
		t.Fatalf("drain timeout: %d %q", code, errOut)
	}
}
