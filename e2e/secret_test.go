package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWrongSecretNamedOnceOnBothSides is cmd/phubd/README.md's promise
// "a wrong secret is named on both sides" on real processes (transport's
// TestTCPWrongSecretJoinLogsOneLineEachSide holds it in one process): a
// phubd started with another cluster secret and seeded with a running node
// retries its handshake, is never admitted, and each side logs the
// mismatch once ("the cluster secrets differ") however often it retries
// within the log's 10 s interval.
func TestWrongSecretNamedOnceOnBothSides(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	a := &proc{name: "node-a"}
	b := &proc{name: "node-b", env: []string{"PHUB_SECRET=another-cluster-secret-9876543210"}}
	c.procs = []*proc{a, b}
	c.start(a)
	c.start(b) // seeded with node-a, whose secret it does not have
	differ := func(p *proc) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return strings.Count(p.log.String(), "the cluster secrets differ")
	}
	c.poll(30*time.Second, "both sides name the mismatch", func() error {
		if differ(a) == 0 || differ(b) == 0 {
			return fmt.Errorf("lines naming it: %s %d, %s %d", a.name, differ(a), b.name, differ(b))
		}
		return nil
	})
	// node-b redials at least every second: 5 s more are several retries,
	// within one 10 s interval of the rate-limited log.
	named := time.Now()
	for time.Since(named) < 5*time.Second {
		for _, p := range c.procs {
			m, err := c.members(p)
			if err != nil {
				t.Fatalf("members of %s: %v", p.name, err)
			}
			if len(m) != 1 {
				t.Fatalf("%s admitted a node with another secret: %v", p.name, m)
			}
		}
		time.Sleep(200 * time.Millisecond) // pacing the checks, not synchronization
	}
	if na, nb := differ(a), differ(b); na != 1 || nb != 1 {
		t.Fatalf("lines naming the mismatch within 5 s of retries: %s %d, %s %d, want 1 each\n%s", a.name, na, b.name, nb, c.logs())
	}
}
