// Package e2e runs real phubd processes on loopback and drives them
// through the admin API: placement of 1,000 children, a kill -9 and a
// restart, and graceful shutdown.
package e2e

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// The admin API's JSON, as a client outside the module's internals sees it.
type (
	spec struct {
		ID     string            `json:"id"`
		Kind   string            `json:"kind"`
		Params map[string]string `json:"params,omitempty"`
	}
	startRequest struct {
		Specs   []spec `json:"specs"`
		Await   bool   `json:"await"`
		Timeout string `json:"timeout"`
	}
	result struct {
		ID    string   `json:"id"`
		Nodes []string `json:"nodes"`
		Epoch uint64   `json:"epoch"`
		Error string   `json:"error"`
	}
	opResponse struct {
		OK      bool     `json:"ok"`
		Results []result `json:"results"`
	}
	replica struct {
		Node  string `json:"node"`
		Epoch uint64 `json:"epoch"`
	}
	whichResponse struct {
		Nodes []struct {
			Node     string `json:"node"`
			Children []struct {
				ID    string `json:"id"`
				Epoch uint64 `json:"epoch"`
			} `json:"children"`
		} `json:"nodes"`
		Unreachable []string `json:"unreachable"`
	}
	membersResponse struct {
		Members []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"members"`
	}
	ringResponse struct {
		Placement   []string  `json:"placement"`
		Owner       string    `json:"owner"`
		Registered  bool      `json:"registered"`
		OnPlacement bool      `json:"on_placement"`
		RunningOn   []replica `json:"running_on"`
	}
)

const (
	token    = "e2e-admin-token"
	secret   = "e2e-cluster-secret-0123456789"
	children = 1000
)

// buildPhubd builds the binary once per test run.
func buildPhubd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "phubd")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/phubd")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// anyPort asks phubd to bind a port the kernel picks; the test learns it
// from phubd's "phubd running" log line. (A port picked by the test and
// closed before phubd binds it can be taken by anyone in between: the
// flakes of TestImpostorExitsNonZero and TestDemo.)
const anyPort = "127.0.0.1:0"

type proc struct {
	// peer and admin are the addresses phubd bound, known once start has
	// returned; a restart binds the same ones again.
	name, peer, admin string
	// seeds, if set, are the node's seeds; otherwise start seeds it with
	// every other node of the cluster whose address is known (so the
	// first node of a cluster starts without seeds and every later one,
	// and every restart, knows all the others).
	seeds []string
	extra []string // more phubd run flags
	env   []string // more environment (test-only knobs)
	cmd   *exec.Cmd
	log   *bytes.Buffer
	done  chan struct{}
	err   error
}

type cluster struct {
	t     *testing.T
	bin   string
	dir   string
	procs []*proc
	mu    sync.Mutex
	http  *http.Client
}

// start starts p's phubd and returns once it has bound its addresses
// (p.peer and p.admin then hold them), or once it has exited.
func (c *cluster) start(p *proc) {
	c.t.Helper()
	listen, admin := cmp.Or(p.peer, anyPort), cmp.Or(p.admin, anyPort)
	args := []string{"run", "--name", p.name, "--listen", listen, "--admin-addr", admin,
		"--hub-id", "e2e", "--tick-interval", "10ms", "--heartbeat-interval", "100ms",
		"--down-after", "1s", "--retry-interval", "100ms", "--request-timeout", "20s",
		"--shutdown-timeout", "10s", "--log-level", "info", "--log-format", "json"}
	seeds := p.seeds
	if seeds == nil {
		for _, q := range c.procs {
			if q != p && q.peer != "" {
				seeds = append(seeds, q.peer)
			}
		}
	}
	if len(seeds) > 0 {
		args = append(args, "--seeds", strings.Join(seeds, ","))
	}
	// Each node's own data dir: never the user's default one.
	args = append(args, "--data-dir", filepath.Join(c.dir, "data-"+p.name))
	args = append(args, p.extra...)
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(append(testEnviron(), "PHUB_SECRET="+secret, "PHUB_ADMIN_TOKEN="+token), p.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.log = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: p.log, mu: &c.mu}, &lockedWriter{w: p.log, mu: &c.mu}
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { p.err = cmd.Wait(); close(p.done) }()
	pid := cmd.Process.Pid
	c.t.Cleanup(func() {
		// Kill the whole process group, even if the test failed midway.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	})
	c.awaitBound(p, 60*time.Second)
}

// awaitBound waits until p's log shows the addresses it bound, and
// records them in p.peer and p.admin; a phubd that exits first (an
// impostor, a bad configuration) leaves them as they were.
func (c *cluster) awaitBound(p *proc, bound time.Duration) {
	c.t.Helper()
	deadline := loadwait.Start(bound)
	for {
		c.mu.Lock()
		out := p.log.String()
		c.mu.Unlock()
		if peer, admin, ok := boundAddrs(out); ok {
			p.peer, p.admin = peer, admin
			return
		}
		select {
		case <-p.done:
			return
		default:
		}
		if deadline.Passed() {
			c.t.Fatalf("%s did not report its addresses within %s\n%s", p.name, deadline.Bound(), c.logs())
		}
		time.Sleep(10 * time.Millisecond) // polling the log: the deadline above bounds it
	}
}

// boundAddrs reads the peer and admin addresses from the last "phubd
// running" line of a JSON log.
func boundAddrs(log string) (peer, admin string, ok bool) {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var l struct {
			Msg   string `json:"msg"`
			Peer  string `json:"peer_addr"`
			Admin string `json:"admin_addr"`
		}
		if json.Unmarshal([]byte(lines[i]), &l) == nil && l.Msg == "phubd running" && l.Peer != "" && l.Admin != "" {
			return l.Peer, l.Admin, true
		}
	}
	return "", "", false
}

// testEnviron is the test's environment without PHUB_* variables: those
// of the test harness (PHUB_SEEDS, PHUB_SCREENSHOTS, ...) are not phubd
// configuration, and phubd refuses unknown PHUB_* variables.
func testEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PHUB_") {
			out = append(out, kv)
		}
	}
	return out
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (c *cluster) logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sb strings.Builder
	for _, p := range c.procs {
		lines := strings.Split(p.log.String(), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		fmt.Fprintf(&sb, "--- %s (last lines)\n%s\n", p.name, strings.Join(lines, "\n"))
	}
	return sb.String()
}

// do calls p's admin API and decodes a 2xx answer into out.
func (c *cluster) do(p *proc, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+p.admin+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// loadScaledDetection returns phubd flags that scale the failure
// detector's bound (DownAfter, 1 s on a quiet machine) and the request
// timeout (20 s) with the load, as the waits are (loadwait): at load 35 a
// phubd went unscheduled for more than 1 s, its peers declared it down,
// and TestCluster saw 634 of its 1000 awaited starts answer "node down",
// TestDashboardInABrowser a membership that flapped for 30 s. The tests
// that use it are about recovery and what the API and dashboard show,
// not about how fast a loaded machine detects a crash.
func loadScaledDetection() []string {
	return []string{"--down-after", loadwait.Scale(time.Second).String(), "--request-timeout", loadwait.Scale(20 * time.Second).String()}
}

// poll calls cond until it returns nil or the deadline passes: d on a
// quiet machine, scaled by the load measured while waiting
// (loadwait.Deadline), so a loaded shared machine does not fail a wait
// for liveness and a hang still ends.
func (c *cluster) poll(d time.Duration, what string, cond func() error) {
	c.t.Helper()
	deadline := loadwait.Start(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if deadline.Passed() {
			c.t.Fatalf("timed out after %s (%s at load factor %.1f) waiting for %s: %v\n%s", deadline.Bound(), d, deadline.Factor(), what, err, c.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// where returns child -> (node, epoch) from a global which on p, and
// fails unless every node of want answered (a dead node is reported
// unreachable) and no child runs twice.
func (c *cluster) where(p *proc, want ...*proc) (map[string]replica, error) {
	var w whichResponse
	if _, err := c.do(p, "GET", "/v1/which?scope=global&timeout=3s", nil, &w); err != nil {
		return nil, err
	}
	answered := map[string]bool{}
	for _, n := range w.Nodes {
		answered[n.Node] = true
	}
	for _, q := range want {
		if !answered[q.name] {
			return nil, fmt.Errorf("which: %s did not answer (answers %v, unreachable %v)", q.name, answered, w.Unreachable)
		}
	}
	if len(w.Nodes) != len(want) {
		return nil, fmt.Errorf("which: %d nodes answered, want %d", len(w.Nodes), len(want))
	}
	out := map[string]replica{}
	for _, n := range w.Nodes {
		for _, ch := range n.Children {
			if prev, dup := out[ch.ID]; dup {
				return nil, fmt.Errorf("child %s runs on %s and %s", ch.ID, prev.Node, n.Node)
			}
			out[ch.ID] = replica{Node: n.Node, Epoch: ch.Epoch}
		}
	}
	return out, nil
}

// onPlacement checks through GET /v1/ring that every child runs exactly
// on its ring placement, as seen from p.
func (c *cluster) onPlacement(p *proc, ids []string) error {
	errs := make(chan error, len(ids))
	work := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				var r ringResponse
				if _, err := c.do(p, "GET", "/v1/ring?id="+id, nil, &r); err != nil {
					errs <- err
					continue
				}
				if !r.Registered || !r.OnPlacement || len(r.RunningOn) != 1 || r.RunningOn[0].Node != r.Owner {
					errs <- fmt.Errorf("child %s: placement %v, running on %+v", id, r.Placement, r.RunningOn)
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	close(errs)
	var first error
	n := 0
	for err := range errs {
		if first == nil {
			first = err
		}
		n++
	}
	if first != nil {
		return fmt.Errorf("%d children off placement, first: %w", n, first)
	}
	return nil
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	// The awaited start's timeout and the HTTP client's (which must
	// outlast it) grow with the load, as the waits do (loadwait).
	await := loadwait.Scale(20 * time.Second)
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: await + 10*time.Second}}
	for i := 0; i < 3; i++ {
		c.procs = append(c.procs, &proc{name: fmt.Sprintf("node-%d", i+1), extra: loadScaledDetection()})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	a := c.procs[0]

	t.Run("admin token required", func(t *testing.T) {
		c.poll(10*time.Second, "admin API up", func() error {
			_, err := http.Get("http://" + a.admin + "/v1/health")
			return err
		})
		for _, tok := range []string{"", "wrong-token"} {
			req, _ := http.NewRequest("GET", "http://"+a.admin+"/v1/members", nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("token %q: status %d, want 401", tok, resp.StatusCode)
			}
		}
	})

	c.waitFormed(15 * time.Second)

	ids := make([]string, children)
	req := startRequest{Await: true, Timeout: await.String()}
	for i := range ids {
		ids[i] = fmt.Sprintf("c-%04d", i)
		req.Specs = append(req.Specs, spec{ID: ids[i], Kind: "counter", Params: map[string]string{"interval_ms": "1000"}})
	}
	var op opResponse
	if _, err := c.do(a, "POST", "/v1/children", req, &op); err != nil || !op.OK || len(op.Results) != children {
		failed, first := 0, ""
		for _, r := range op.Results {
			if r.Error != "" {
				if failed++; first == "" {
					first = r.ID + ": " + r.Error
				}
			}
		}
		t.Fatalf("start %d children (await %v): ok=%v results=%d, %d failed (first %s) err=%v", children, await, op.OK, len(op.Results), failed, first, err)
	}

	var before map[string]replica
	c.poll(15*time.Second, "all children visible in which-global", func() error {
		var err error
		before, err = c.where(a, c.procs...)
		if err == nil && len(before) != children {
			err = fmt.Errorf("%d children running", len(before))
		}
		return err
	})
	c.poll(15*time.Second, "every child on its ring placement", func() error { return c.onPlacement(a, ids) })

	// kill -9 one node: its children come back on the survivors with
	// higher epochs.
	victim := c.procs[1]
	var victims []string
	for id, r := range before {
		if r.Node == victim.name {
			victims = append(victims, id)
		}
	}
	if len(victims) == 0 {
		t.Fatalf("no child on %s", victim.name)
	}
	if err := syscall.Kill(-victim.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	c.poll(20*time.Second, "children of the killed node restarted on survivors", func() error {
		after, err := c.where(a, c.procs[0], c.procs[2])
		if err != nil {
			return err
		}
		if len(after) != children {
			return fmt.Errorf("%d of %d children running", len(after), children)
		}
		for _, id := range victims {
			r := after[id]
			if r.Node == victim.name || r.Epoch <= before[id].Epoch {
				return fmt.Errorf("child %s: %s epoch %d (was %s epoch %d)", id, r.Node, r.Epoch, before[id].Node, before[id].Epoch)
			}
		}
		return nil
	})
	c.poll(15*time.Second, "every child on its ring placement without the killed node", func() error { return c.onPlacement(a, ids) })

	// Restart it: children redistribute back to their ring placement.
	c.start(victim)
	c.poll(20*time.Second, "children back on the restarted node", func() error {
		after, err := c.where(a, c.procs...)
		if err != nil {
			return err
		}
		if len(after) != children {
			return fmt.Errorf("%d of %d children running", len(after), children)
		}
		back := 0
		for _, id := range victims {
			if after[id].Node == victim.name {
				back++
			}
		}
		if back != len(victims) {
			return fmt.Errorf("%d of %d children back on %s", back, len(victims), victim.name)
		}
		return nil
	})
	c.poll(15*time.Second, "every child on its ring placement after the restart", func() error { return c.onPlacement(a, ids) })

	// SIGTERM: graceful leave, exit status 0.
	for _, p := range c.procs {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.done:
		case <-time.After(loadwait.Scale(20 * time.Second)):
			t.Fatalf("%s did not exit after SIGTERM\n%s", p.name, c.logs())
		}
		if p.err != nil {
			t.Fatalf("%s exited with %v\n%s", p.name, p.err, c.logs())
		}
	}
}

// waitFormed polls until every process sees all of them alive.
func (c *cluster) waitFormed(timeout time.Duration) {
	c.poll(timeout, fmt.Sprintf("cluster of %d formed", len(c.procs)), func() error {
		for _, p := range c.procs {
			var m membersResponse
			if _, err := c.do(p, "GET", "/v1/members", nil, &m); err != nil {
				return err
			}
			alive := 0
			for _, mm := range m.Members {
				if mm.Status == "alive" {
					alive++
				}
			}
			if alive != len(c.procs) {
				return fmt.Errorf("%s sees %d alive", p.name, alive)
			}
		}
		return nil
	})
}
