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

// TestAwaitedWritesAreReadableOnEveryNode is README's owner-routed write
// ("replicates the new registry version to every alive peer *before*
// acknowledging") on real processes: right after an awaited start
// through one phubd returns, a local lookup on every phubd finds each
// child at (at least) its acknowledged epoch, and an owner lookup through
// another phubd finds it too (read-your-writes across processes); right
// after a terminate of one child through the third phubd returns, no
// node's local lookup nor an owner lookup finds it; right after an awaited
// stop of the others through the second phubd returns, a local lookup on
// every phubd answers not_found (the stop's tombstone reached every node
// before the answer). Nothing is polled: each read is made once, at once.
// The control runs the same with PHUBD_TEST_BROKEN=ack-before-replicate
// (the owner answers before replicating, peers learn the version from
// anti-entropy 15 s later) and must see a stale read, which shows the
// test can fail — for the start reads only: with the knob (and with
// drop-push added) the reads after the terminate and the stop stayed
// fresh (48 of 48 stale reads followed starts), so no control shows those
// reads failing.
func TestAwaitedWritesAreReadableOnEveryNode(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("ack-before-replicate=%v", broken), func(t *testing.T) {
			stale := staleReadsAfterAck(t, bin, broken)
			switch {
			case !broken && len(stale) > 0:
				t.Fatalf("%d stale reads right after an acknowledged write, first %s", len(stale), stale[0])
			case broken && len(stale) == 0:
				t.Fatal("control: with the owner acknowledging before it replicates, every read right after the answer was still fresh: the test cannot fail")
			}
			kinds := map[string]int{}
			for _, s := range stale {
				for _, k := range []string{"start", "terminate", "stop"} {
					if strings.Contains(s, "after its "+k+" ") {
						kinds[k]++
					}
				}
			}
			t.Logf("%d stale reads right after acknowledged writes (after a start %d, a terminate %d, a stop %d)", len(stale), kinds["start"], kinds["terminate"], kinds["stop"])
		})
	}
}

// staleReadsAfterAck runs TestAwaitedWritesAreReadableOnEveryNode's
// scenario on a fresh cluster of three and returns the reads that missed
// an acknowledged write.
func staleReadsAfterAck(t *testing.T, bin string, broken bool) []string {
	await := loadwait.Scale(20 * time.Second)
	c := formThree(t, bin, "rw", await, loadScaledDetection(), knobEnv(broken, "ack-before-replicate")...)

	const n = 24
	req := startRequest{Await: true, Timeout: await.String()}
	for i := 0; i < n; i++ {
		req.Specs = append(req.Specs, spec{ID: fmt.Sprintf("rw%02d", i), Kind: "counter", Params: map[string]string{"interval_ms": "1000"}})
	}
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", req, &op); err != nil || !op.OK || len(op.Results) != n {
		t.Fatalf("awaited start of %d children: %v %+v", n, err, op)
	}
	var stale []string
	for _, r := range op.Results {
		for _, p := range c.procs {
			if epoch, code := c.lookupEpoch(p, r.ID, "local"); code != "ok" || epoch < r.Epoch {
				stale = append(stale, fmt.Sprintf("local lookup of %s on %s after its start was acknowledged at epoch %d: %s, epoch %d", r.ID, p.name, r.Epoch, code, epoch))
			}
		}
		if epoch, code := c.lookupEpoch(c.procs[2], r.ID, "owner"); code != "ok" || epoch < r.Epoch {
			stale = append(stale, fmt.Sprintf("owner lookup of %s through %s after its start was acknowledged at epoch %d: %s, epoch %d", r.ID, c.procs[2].name, r.Epoch, code, epoch))
		}
	}

	// TerminateChild of the first child through rw-3: answered only after
	// the removal is replicated, so no node finds it afterwards, nor its
	// owner.
	term := req.Specs[0].ID
	var top opResponse
	if _, err := c.do(c.procs[2], "POST", "/v1/children/"+term+"/terminate", nil, &top); err != nil || !top.OK {
		t.Fatalf("terminate %s: %v %+v", term, err, top)
	}
	for _, p := range c.procs {
		if epoch, code := c.lookupEpoch(p, term, "local"); code != "not_found" {
			stale = append(stale, fmt.Sprintf("local lookup of %s on %s after its terminate was answered: %s, epoch %d", term, p.name, code, epoch))
		}
	}
	if epoch, code := c.lookupEpoch(c.procs[0], term, "owner"); code != "not_found" {
		stale = append(stale, fmt.Sprintf("owner lookup of %s through %s after its terminate was answered: %s, epoch %d", term, c.procs[0].name, code, epoch))
	}

	ids := make([]string, 0, n-1)
	for _, s := range req.Specs[1:] {
		ids = append(ids, s.ID)
	}
	var stop opResponse
	if _, err := c.do(c.procs[1], "DELETE", "/v1/children", map[string]any{"ids": ids, "await": true, "timeout": await.String()}, &stop); err != nil || !stop.OK {
		t.Fatalf("awaited stop of %d children: %v %+v", len(ids), err, stop)
	}
	for _, id := range ids {
		for _, p := range c.procs {
			if epoch, code := c.lookupEpoch(p, id, "local"); code != "not_found" {
				stale = append(stale, fmt.Sprintf("local lookup of %s on %s after its stop was acknowledged: %s, epoch %d", id, p.name, code, epoch))
			}
		}
	}
	return stale
}

// lookupEpoch looks id up on p with the given consistency (local or
// owner) and returns the entry's epoch and "ok", or the error code of the
// answer ("not_found", ...).
func (c *cluster) lookupEpoch(p *proc, id, consistency string) (uint64, string) {
	c.t.Helper()
	status, b, err := c.raw(p, "GET", "/v1/children/"+id+"?consistency="+consistency, nil)
	if err != nil {
		return 0, "transport: " + err.Error()
	}
	if status == http.StatusOK {
		var e struct {
			Epoch uint64 `json:"epoch"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			return 0, "undecodable: " + err.Error()
		}
		return e.Epoch, "ok"
	}
	var e struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		return 0, e.Code
	}
	return 0, fmt.Sprintf("status %d: %s", status, strings.TrimSpace(string(b)))
}

// testBrokenEnvName is phubd's test-only fault variable
// (cmd/phubd/testknob.go).
const testBrokenEnvName = "PHUBD_TEST_BROKEN"
