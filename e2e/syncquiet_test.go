//go:build linux

package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// syncQuietInterval is the test cluster's anti-entropy period: short, so
// that several rounds fall inside the burst.
const syncQuietInterval = 200 * time.Millisecond

// The digest-answer wait on TCP (core/syncquiet.go). Three phubd nodes
// with a 200 ms sync interval hold 17,000 children, above the 16,384
// entries past which a mismatching digest is answered with the registry
// only once quiet; then a burst starts 8,000 more through node-1 while
// node-3 is paused (SIGSTOP) for up to half a second of it, so its
// registry falls behind. During the burst node-1 has the start in flight
// throughout, so it answers no mismatching digest at once: every registry
// it sends whole for a digest is one whose wait reached its bound
// (exchanges = forced on its /metrics), and the waits happened (the
// nodes' waited counters moved). After the burst the registries converge
// — every node lists the same 25,000 children, each on the same node at
// the same epoch — within the bound, 4 sync intervals (plus the load's
// slack). With the wait disabled (digestAnswerWaits returning false) the
// burst took 16.4 s instead of 0.8-1.9 s and node-1 sent 22 registries
// whole: the test fails.
func TestDigestAnswerWaitsDuringABurst(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	// before is above core's quietSyncAbove (16,384 entries).
	const before, burst = 17000, 8000
	await := loadwait.Scale(60 * time.Second)
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: await + 30*time.Second}}
	for i := 1; i <= 3; i++ {
		// Detection is not under test: a pause or a starved loop must not
		// make a node down.
		c.procs = append(c.procs, &proc{name: fmt.Sprintf("node-%d", i), extra: []string{
			"--sync-interval", syncQuietInterval.String(), "--retry-interval", "300ms",
			"--down-after", loadwait.Scale(5 * time.Second).String(), "--request-timeout", await.String()}})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	c.waitFormed(15 * time.Second)
	a, paused := c.procs[0], c.procs[2]

	start := func(from, n int) error {
		req := startRequest{Await: true, Timeout: await.String()}
		for i := from; i < from+n; i++ {
			req.Specs = append(req.Specs, spec{ID: fmt.Sprintf("q-%05d", i), Kind: "counter", Params: map[string]string{"interval_ms": "3600000"}})
		}
		var op opResponse
		if _, err := c.do(a, "POST", "/v1/children", req, &op); err != nil {
			return err
		}
		if !op.OK || len(op.Results) != n {
			failed, first := 0, ""
			for _, r := range op.Results {
				if r.Error != "" {
					if failed++; first == "" {
						first = r.ID + ": " + r.Error
					}
				}
			}
			return fmt.Errorf("start %d: ok=%v, %d results, %d failed (first %s)", n, op.OK, len(op.Results), failed, first)
		}
		return nil
	}
	entries := func(want int) {
		t.Helper()
		c.poll(30*time.Second, fmt.Sprintf("%d entries on every node", want), func() error {
			for _, p := range c.procs {
				m, err := c.metrics(p)
				if err != nil {
					return err
				}
				if got := int(m["phub_registry_entries"]); got != want {
					return fmt.Errorf("%s holds %d entries", p.name, got)
				}
			}
			return nil
		})
	}
	if err := start(0, before); err != nil {
		t.Fatal(err)
	}
	entries(before)
	m0 := c.metricsAll()

	// The burst, with node-3 paused for half a second of it.
	done := make(chan error, 1)
	began := time.Now()
	go func() { done <- start(before, burst) }()
	var resumed sync.Once
	resume := func() { resumed.Do(func() { _ = syscall.Kill(paused.cmd.Process.Pid, syscall.SIGCONT) }) }
	t.Cleanup(resume)
	if err := syscall.Kill(paused.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done: // the pause's length is the fault, not a wait for an event
		resume()
	case <-time.After(500 * time.Millisecond):
		resume()
		err = <-done
	}
	if err != nil {
		t.Fatalf("burst of %d starts: %v\n%s", burst, err, c.logs())
	}
	ended := time.Now()
	m1 := c.metricsAll()
	delta := func(i int, name string) float64 { return m1[i][name] - m0[i][name] }
	waited := 0.0
	for i, p := range c.procs {
		waited += delta(i, "phub_digest_answers_waited_total")
		t.Logf("burst: %s left %.0f digest answers waiting, sent %.0f registries whole for digests, %.0f of them forced by the bound", p.name,
			delta(i, "phub_digest_answers_waited_total"), delta(i, "phub_digest_exchanges_total"), delta(i, "phub_digest_answers_forced_total"))
	}
	t.Logf("burst of %d starts through %s: %s", burst, a.name, ended.Sub(began).Round(time.Millisecond))
	if exchanged, forced := delta(0, "phub_digest_exchanges_total"), delta(0, "phub_digest_answers_forced_total"); exchanged != forced {
		t.Fatalf("%s, with writes in flight, sent %.0f registries whole for digests during the burst, only %.0f of them at the wait's bound", a.name, exchanged, forced)
	}
	if waited == 0 {
		t.Fatalf("no node answered a digest late during a %s burst (sync interval %s): the wait was not exercised", ended.Sub(began).Round(time.Millisecond), syncQuietInterval)
	}

	// Convergence within the bound: every node lists the same children,
	// each on the same node at the same epoch.
	bound := 4*syncQuietInterval + loadwait.Scale(3*time.Second)
	entries(before + burst)
	var first map[string]replica
	for {
		var diff error
		first = nil
		for _, p := range c.procs {
			got, err := c.listAll(p)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = got
				continue
			}
			if diff = sameRegistry(first, got); diff != nil {
				diff = fmt.Errorf("%s and %s: %w", c.procs[0].name, p.name, diff)
				break
			}
		}
		if diff == nil {
			break
		}
		if time.Since(ended) > bound {
			t.Fatalf("registries differ %s after the burst (bound %s): %v", time.Since(ended).Round(time.Millisecond), bound, diff)
		}
	}
	if len(first) != before+burst {
		t.Fatalf("%d children listed, want %d", len(first), before+burst)
	}
	t.Logf("registries equal %s after the burst (bound %s)", time.Since(ended).Round(time.Millisecond), bound)
}

// sameRegistry reports the first child on which two listings differ.
func sameRegistry(a, b map[string]replica) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d children vs %d", len(a), len(b))
	}
	for id, r := range a {
		if b[id] != r {
			return fmt.Errorf("child %s: %+v vs %+v", id, r, b[id])
		}
	}
	return nil
}

// listAll returns child -> (node, epoch) from p's registry replica (GET
// /v1/children); a child with other than one replica is an error.
func (c *cluster) listAll(p *proc) (map[string]replica, error) {
	var l struct {
		Children []struct {
			ID       string    `json:"id"`
			Epoch    uint64    `json:"epoch"`
			Replicas []replica `json:"replicas"`
		} `json:"children"`
	}
	if _, err := c.do(p, "GET", "/v1/children", nil, &l); err != nil {
		return nil, err
	}
	out := make(map[string]replica, len(l.Children))
	for _, e := range l.Children {
		if len(e.Replicas) != 1 {
			return nil, fmt.Errorf("%s lists child %s with replicas %+v", p.name, e.ID, e.Replicas)
		}
		out[e.ID] = replica{Node: e.Replicas[0].Node, Epoch: e.Epoch}
	}
	return out, nil
}

// metricsAll scrapes every node's /metrics, in c.procs' order.
func (c *cluster) metricsAll() []map[string]float64 {
	c.t.Helper()
	var out []map[string]float64
	for _, p := range c.procs {
		m, err := c.metrics(p)
		if err != nil {
			c.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// metrics scrapes p's /metrics into name -> value for the unlabelled
// series.
func (c *cluster) metrics(p *proc) (map[string]float64, error) {
	req, _ := http.NewRequest("GET", "http://"+p.admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s /metrics: %d", p.name, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	return out, sc.Err()
}
