package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// TestLimitsRefusedThroughTheAdminAPI is README's Limits promise on real
// processes: a start over a limit of core.Limits — one param over
// MaxParamBytes beside a valid spec, an id over MaxChildIDBytes, metadata
// over MaxMetadataBytes, a batch over MaxBatch (lowered to 8 through
// PHUB_MAX_BATCH) — is refused through phubd's admin API with HTTP 413,
// code limit_exceeded (the batch: its own code, batch_too_large) and an error
// naming the limit and the child, and
// registers nothing on any node (every local lookup not_found, every
// node's list empty). Requests exactly at those limits are accepted, and
// replicated before the answer: a local lookup on every node finds the
// 64 KiB parameter intact.
func TestLimitsRefusedThroughTheAdminAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	await := loadwait.Scale(20 * time.Second)
	const maxBatch = 8
	c := formThree(t, buildPhubd(t), "lim", await, loadScaledDetection(), fmt.Sprintf("PHUB_MAX_BATCH=%d", maxBatch))

	counter := func(id string, params map[string]string) spec {
		if params == nil {
			params = map[string]string{}
		}
		params["interval_ms"] = "1000"
		return spec{ID: id, Kind: "counter", Params: params}
	}
	// Defaults of core.DefaultLimits (README's table).
	const maxParamBytes, maxIDBytes, maxMetadataBytes = 65536, 256, 16384
	batch := func(prefix string, n int) []spec {
		var out []spec
		for i := 0; i < n; i++ {
			out = append(out, counter(fmt.Sprintf("%s%d", prefix, i), nil))
		}
		return out
	}
	over := []struct {
		name, limit, child string
		specs              []spec
		metadata           map[string]string
	}{
		{"param", "Limits.MaxParamBytes", "big-param",
			[]spec{counter("ok-beside", nil), counter("big-param", map[string]string{"blob": strings.Repeat("x", maxParamBytes-len("blob")+1)})}, nil},
		{"id", "Limits.MaxChildIDBytes", "",
			[]spec{counter(strings.Repeat("i", maxIDBytes+1), nil)}, nil},
		{"metadata", "Limits.MaxMetadataBytes", "",
			[]spec{counter("big-meta", nil)}, map[string]string{"note": strings.Repeat("m", maxMetadataBytes-len("note")+1)}},
		{"batch", "Limits.MaxBatch", "",
			batch("over-batch-", maxBatch+1), nil},
	}
	for _, o := range over {
		body := map[string]any{"specs": o.specs, "await": true, "timeout": await.String()}
		if o.metadata != nil {
			body["metadata"] = o.metadata
		}
		status, b, err := c.raw(c.procs[0], "POST", "/v1/children", body)
		if err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		var e struct {
			Code  string `json:"code"`
			Error string `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		wantStatus, wantCode := http.StatusRequestEntityTooLarge, "limit_exceeded"
		if o.name == "batch" {
			// A batch over MaxBatch keeps its own code (its message
			// still says "limit exceeded" and names Limits.MaxBatch).
			wantCode = "batch_too_large"
		}
		if status != wantStatus || e.Code != wantCode || !strings.Contains(e.Error, o.limit) || !strings.Contains(e.Error, o.child) {
			t.Errorf("start over %s: HTTP %d %s, want %d %s naming %s and child %q", o.name, status, truncate(string(b), 300), wantStatus, wantCode, o.limit, o.child)
		}
		for _, sp := range o.specs {
			for _, p := range c.procs {
				if len(sp.ID) > maxIDBytes {
					continue // not a valid id to look up
				}
				if _, code := c.lookupEpoch(p, sp.ID, "local"); code != "not_found" {
					t.Errorf("after a start over %s (answered HTTP %d), %s's local lookup of %s answers %s, want not_found", o.name, status, p.name, sp.ID, code)
				}
			}
		}
	}
	for _, p := range c.procs {
		var l struct {
			Count int `json:"count"`
		}
		if _, err := c.do(p, "GET", "/v1/children", nil, &l); err != nil || l.Count != 0 {
			t.Errorf("%s lists %d children after refused starts only (%v), want 0", p.name, l.Count, err)
		}
	}

	// At the limits: accepted, and on every node when answered.
	blob := strings.Repeat("y", maxParamBytes-len("blob"))
	at := append(batch("at-batch-", maxBatch-1), counter("at-param", map[string]string{"blob": blob}))
	var op opResponse
	if _, err := c.do(c.procs[1], "POST", "/v1/children", startRequest{Specs: at, Await: true, Timeout: await.String()}, &op); err != nil || !op.OK || len(op.Results) != maxBatch {
		t.Fatalf("start of %d children, one with a param of exactly %d bytes: %v %+v", maxBatch, maxParamBytes, err, op)
	}
	for _, p := range c.procs {
		status, b, err := c.raw(p, "GET", "/v1/children/at-param?consistency=local", nil)
		var e struct {
			Params map[string]string `json:"params"`
		}
		if err != nil || status != http.StatusOK || json.Unmarshal(b, &e) != nil || e.Params["blob"] != blob {
			t.Errorf("%s: local lookup of at-param right after its start was acknowledged: HTTP %d, blob of %d bytes (want %d), %v", p.name, status, len(e.Params["blob"]), len(blob), err)
		}
	}
}

// truncate shortens s to n bytes for a failure message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
