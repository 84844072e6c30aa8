package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// members returns name -> status as p sees the cluster.
func (c *cluster) members(p *proc) (map[string]string, error) {
	var m membersResponse
	if _, err := c.do(p, "GET", "/v1/members", nil, &m); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, x := range m.Members {
		out[x.Name] = x.Status
	}
	return out, nil
}

// TestImpostorExitsNonZero: a second phubd started with the name of a
// live member is refused at the handshake, exits 1 with an error naming
// the conflict, and the real node keeps its place. The issue: the
// impostor was accepted and 16 children ran twice.
func TestImpostorExitsNonZero(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	n1 := &proc{name: "node-1"}
	n2 := &proc{name: "node-2"}
	c.procs = []*proc{n1, n2}
	c.start(n1)
	c.start(n2) // seeded with n1
	both := func() error {
		for _, p := range []*proc{n1, n2} {
			m, err := c.members(p)
			if err != nil {
				return err
			}
			if m["node-1"] != "alive" || m["node-2"] != "alive" {
				return fmt.Errorf("%s sees %v", p.name, m)
			}
		}
		return nil
	}
	c.poll(30*time.Second, "node-1 and node-2 see each other", both)

	imp := &proc{name: "node-2", seeds: []string{n1.peer, n2.peer},
		extra: []string{"--data-dir", filepath.Join(c.dir, "data-impostor")}}
	c.procs = append(c.procs, imp)
	started := time.Now()
	c.start(imp)
	select {
	case <-imp.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the impostor did not exit\n%s", c.logs())
	}
	t.Logf("the impostor exited after %s", time.Since(started).Round(time.Millisecond))
	var exit *exec.ExitError
	if !errors.As(imp.err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("impostor exit: %v, want status 1\n%s", imp.err, c.logs())
	}
	c.mu.Lock()
	impLog, n1Log := imp.log.String(), n1.log.String()
	c.mu.Unlock()
	if !strings.Contains(impLog, "node name in use") || !strings.Contains(impLog, `refused us as \"node-2\"`) {
		t.Fatalf("the impostor's log does not name the conflict:\n%s", c.logs())
	}
	if !strings.Contains(n1Log, `refused dialer \"node-2\"`) {
		t.Fatalf("node-1 logged no refusal:\n%s", c.logs())
	}
	if err := both(); err != nil {
		t.Fatalf("the real node was affected: %v\n%s", err, c.logs())
	}
	select {
	case <-n2.done:
		t.Fatalf("the real node-2 exited: %v", n2.err)
	default:
	}
}
