package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestCounterInfo: GET /v1/counters/{id} shows the node's counter
// instance (running, counting, no handover on a first start), needs the
// token, answers 404 for a counter that never ran on the node and 400 for
// an invalid id.
func TestCounterInfo(t *testing.T) {
	n := newCluster(t, 1, nil)[0]
	st, body := call(t, n, "POST", "/v1/children", `{"specs":[{"id":"c1","kind":"counter","params":{"interval_ms":"1"}}],"await":true,"timeout":"3s"}`)
	expect(t, st, body, http.StatusOK, `"ok": true`)
	var info CounterInfo
	waitFor(t, "c1 counting", func() bool {
		st, body = call(t, n, "GET", "/v1/counters/c1", "")
		if st != http.StatusOK {
			t.Fatalf("GET /v1/counters/c1: %d %s", st, body)
		}
		if err := json.Unmarshal([]byte(body), &info); err != nil {
			t.Fatal(err)
		}
		return info.Count > 0
	})
	if info.ID != "c1" || !info.Running || info.Handover || info.From != 0 || info.Epoch == 0 || info.Instance == 0 {
		t.Fatalf("c1: %+v, want running, counting, epoch and instance set, no handover", info)
	}
	st, body = callTok(t, n, "GET", "/v1/counters/c1", "", "")
	expect(t, st, body, http.StatusUnauthorized, "missing bearer token")
	st, body = call(t, n, "GET", "/v1/counters/never", "")
	expect(t, st, body, http.StatusNotFound, `"not_found"`)
	st, body = call(t, n, "GET", "/v1/counters/a%01b", "")
	expect(t, st, body, http.StatusBadRequest, "control character")
}

// TestDigestMetrics: /metrics carries the anti-entropy wait's counters
// (core Stats' DigestAnswersWaited, DigestAnswersForced, DigestExchanges),
// at 0 on a lone node that never got a digest. e2e's
// TestDigestAnswerWaitsDuringABurst reads them move on real processes.
func TestDigestMetrics(t *testing.T) {
	n := newCluster(t, 1, nil)[0]
	st, body := call(t, n, "GET", "/metrics", "")
	for _, name := range []string{"phub_digest_answers_waited_total", "phub_digest_answers_forced_total", "phub_digest_exchanges_total"} {
		if st != http.StatusOK || !strings.Contains(body, "\n"+name+" 0\n") {
			t.Errorf("/metrics (%d) has no %q at 0", st, name)
		}
	}
}
