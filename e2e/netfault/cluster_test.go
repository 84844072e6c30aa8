package netfault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	adminToken  = "netfault-admin-token"
	peerSecret  = "netfault-cluster-secret-0123456789"
	adminAddr   = "127.0.0.1:7080"
	peerPort    = "7946"
	runEnvName  = "PNF_RUN" // marks the children of this test run in /proc
	childSleep  = "86400"   // seconds; children never exit on their own
	logTailSize = 30
)

// timing is the protocol timing every node runs with: short enough for a
// run to fit its budget, long enough that a loaded 2-core machine does not
// suspect live nodes (measured: no false suspicion in calm phases).
type timing struct {
	Tick, Heartbeat, DownAfter, Retry, Request, ExecGrace time.Duration
}

// strictLeaseMargin is the strict mode's lease margin in the test: the time
// a loaded machine may need to kill a fenced child (the default, two ticks,
// assumes a quiet one).
const strictLeaseMargin = 250 * time.Millisecond

var netfaultTiming = timing{
	Tick: 20 * time.Millisecond, Heartbeat: 200 * time.Millisecond, DownAfter: 2 * time.Second,
	Retry: 200 * time.Millisecond, Request: 5 * time.Second, ExecGrace: time.Second,
}

// cluster is n phubd processes, one per node namespace.
type cluster struct {
	t         *testing.T
	bin       string
	dir       string
	net       *netTopo
	partition string // majority_quorum, strict or divergence
	extraEnv  []string
	// marker is the value of PNF_RUN in this cluster's nodes and children
	// (its namespaces' prefix: unique per cluster, also when the modes
	// run side by side).
	marker  string
	dataDir bool // phubd knows data_dir (reaping of orphans at boot)
	nodes   []*node
	// impostor runs in the last namespace under the name of a real node
	// (the duplicate-name fault); clients never talk to it.
	impostor *node
}

// node is one phubd (re)started under the same name, namespace and
// data directory.
type node struct {
	name string
	idx  int
	net  *nodeNet
	http *http.Client
	log  *os.File

	mu   sync.Mutex
	cmd  *exec.Cmd
	pid  int // 0 while not running
	done chan struct{}
}

// buildPhubd builds the daemon once per test run.
func buildPhubd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "phubd")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/phubd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build phubd: %v\n%s", err, out)
	}
	return bin
}

// knowsKey reports whether `phubd run -h` lists a configuration key, so
// the harness uses features (data_dir) as soon as phubd has them.
func knowsKey(bin, key string) bool {
	out, _ := exec.Command(bin, "run", "-h").CombinedOutput()
	return bytes.Contains(out, []byte("-"+strings.ReplaceAll(key, "_", "-")))
}

func newCluster(t *testing.T, bin string, nt *netTopo, partition string, extraEnv []string) *cluster {
	c := &cluster{t: t, bin: bin, dir: t.TempDir(), net: nt, partition: partition, extraEnv: extraEnv,
		marker: nt.prefix, dataDir: knowsKey(bin, "data_dir")}
	for i, nn := range nt.nodes {
		n := &node{name: fmt.Sprintf("n%d", i+1), idx: i, net: nn}
		logName := n.name
		// No keep-alive: each request dials, so "connection refused" (a
		// dead node) is a definite failure, never an unknown outcome.
		n.http = &http.Client{Transport: &http.Transport{DialContext: nn.dial, DisableKeepAlives: true}}
		if i == len(nt.nodes)-1 {
			n.name, logName = "", "impostor"
		}
		f, err := os.Create(filepath.Join(c.dir, logName+".log"))
		if err != nil {
			t.Fatal(err)
		}
		n.log = f
		if logName == "impostor" {
			c.impostor = n
		} else {
			c.nodes = append(c.nodes, n)
		}
	}
	t.Cleanup(func() {
		for _, n := range append(slices.Clone(c.nodes), c.impostor) {
			n.kill()
			n.log.Close()
		}
	})
	return c
}

// args is the command line of node n.
func (c *cluster) args(n *node) []string {
	tm := netfaultTiming
	var seeds []string
	for _, o := range c.nodes {
		if o != n {
			seeds = append(seeds, o.net.ip+":"+peerPort)
		}
	}
	args := []string{"run", "--name", n.name, "--listen", n.net.ip + ":" + peerPort, "--admin-addr", adminAddr,
		"--seeds", strings.Join(seeds, ","), "--hub-id", "netfault", "--rand-seed", fmt.Sprint(n.idx + 1),
		"--partition", c.partition, "--tick-interval", tm.Tick.String(), "--heartbeat-interval", tm.Heartbeat.String(),
		"--down-after", tm.DownAfter.String(), "--retry-interval", tm.Retry.String(),
		"--request-timeout", tm.Request.String(), "--exec-grace", tm.ExecGrace.String(),
		"--shutdown-timeout", "5s", "--log-format", "json", "--log-level", "info"}
	switch c.partition {
	case "majority_quorum":
		args = append(args, "--partition-initial", fmt.Sprint(len(c.nodes)))
	case "strict":
		var voters []string
		for _, o := range c.nodes {
			voters = append(voters, o.name)
		}
		args = append(args, "--partition-voters", strings.Join(voters, ","), "--partition-lease-margin", strictLeaseMargin.String())
	}
	if c.dataDir {
		args = append(args, "--data-dir", filepath.Join(c.dir, n.net.ns+".data"))
	}
	return args
}

// env is the nodes' environment: the host's without any PHUB_* variable
// (phubd rejects unknown ones, and a developer's PHUB_SEEDS would become
// the nodes' seeds), plus the secrets and the cluster's marker.
func (c *cluster) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PHUB_") {
			env = append(env, kv)
		}
	}
	env = append(env, "PHUB_SECRET="+peerSecret, "PHUB_ADMIN_TOKEN="+adminToken, runEnvName+"="+c.marker)
	return append(env, c.extraEnv...)
}

// start runs node n's phubd inside its namespace (`ip netns exec` execs
// phubd, so the pid is phubd's).
func (c *cluster) start(n *node) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pid != 0 {
		return fmt.Errorf("%s already runs (pid %d)", n.name, n.pid)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.net.ns, c.bin}, c.args(n)...)...)
	cmd.Env = c.env()
	cmd.Stdout, cmd.Stderr = n.log, n.log
	// If the test binary dies, its nodes die with it; their children are
	// then removed with the namespaces by the next run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.name, err)
	}
	fmt.Fprintf(n.log, "=== netfault: %s started, pid %d\n", n.name, cmd.Process.Pid)
	n.cmd, n.pid, n.done = cmd, cmd.Process.Pid, make(chan struct{})
	done := n.done
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(n.log, "=== netfault: %s exited: %v\n", n.name, err)
		n.mu.Lock()
		if n.cmd == cmd {
			n.pid = 0
		}
		n.mu.Unlock()
		close(done)
	}()
	return nil
}

// kill sends SIGKILL to phubd only (its children are its own business,
// as after a crash) and waits for it to exit.
func (n *node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// signal sends sig to phubd only (SIGSTOP pauses the daemon while its
// children run on; SIGCONT resumes it).
func (n *node) signal(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.pid == 0 {
		return fmt.Errorf("%s: not running, cannot send %v", n.name, sig)
	}
	return n.cmd.Process.Signal(sig)
}

// livePID returns phubd's pid, or 0 if it is not running.
func (n *node) livePID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pid
}

// phubdPIDs returns every live phubd pid, indexed by node, the
// impostor's last.
func (c *cluster) phubdPIDs() []int {
	out := make([]int, 0, len(c.nodes)+1)
	for _, n := range c.nodes {
		out = append(out, n.livePID())
	}
	return append(out, c.impostor.livePID())
}

// logs returns the last lines of every node's log.
func (c *cluster) logs() string {
	var sb strings.Builder
	for _, n := range append(slices.Clone(c.nodes), c.impostor) {
		b, _ := os.ReadFile(n.log.Name())
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > logTailSize {
			lines = lines[len(lines)-logTailSize:]
		}
		fmt.Fprintf(&sb, "--- %s (%s, last %d lines)\n%s\n", n.name, n.log.Name(), len(lines), strings.Join(lines, "\n"))
	}
	return sb.String()
}

// apiError is a non-2xx answer of the admin API.
type apiError struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"error"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg) }

// call sends one admin request to node n. It returns the decoded 2xx
// body in out, an *apiError for a JSON error answer, or a transport
// error (dialErr true when the connection was never made, so the
// request was certainly not received).
func (n *node) call(ctx context.Context, method, path string, body, out any) (dialErr bool, err error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return true, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+adminAddr+path, rd)
	if err != nil {
		return true, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	var connected bool
	req = req.WithContext(withConnTrace(ctx, &connected))
	resp, err := n.http.Do(req)
	if err != nil {
		return !connected, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		_ = json.Unmarshal(b, e)
		return false, e
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return false, fmt.Errorf("%s %s: decode %q: %w", method, path, b, err)
		}
	}
	return false, nil
}

// withConnTrace sets *connected once the request has a connection.
func withConnTrace(ctx context.Context, connected *bool) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { *connected = true },
	})
}
