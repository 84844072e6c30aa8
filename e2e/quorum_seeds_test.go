package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// The majority-quorum rule of core/quorum_seeds.go on real processes:
// configured seeds not yet identified with a member count as members
// known. The simulator found its absence (rapid seed 6,
// TestRapidQuorumMemorylessPairAtCut): a node restarted in memory and a
// joiner, cut off at their boot from the members that remember the
// cluster, took each other for the whole membership and both acted.
//
// Here the cut is two paused phubd (SIGSTOP: their peers' connections
// and handshakes go unanswered, as behind a cut, and their exec children
// run on), so the test needs no root and no network namespace: the
// memory-less pair reaches only itself, while every acknowledged child
// still runs as a process on the paused side.

// pairChildren is how many exec children the memory-less pair is asked
// about.
const pairChildren = 3

// TestMajorityQuorumMemorylessPairStaysPartitioned: three phubd with
// majority_quorum (initial cluster size 3) run three acknowledged exec
// children; node-1 is killed (its children move to node-2 and node-3),
// node-2 and node-3 are paused, node-1 restarts without memory and a
// joiner node-4 boots. The pair sees each other alive but counts node-2
// and node-3, its configured seeds not yet identified, among the members
// it knows: two of four is no majority. So for three failure-detector
// periods both say partitioned, every start and owner lookup of the
// children is refused (nothing acknowledged, no "not found" for an
// acknowledged child), and no child ever runs as two processes. After the
// paused nodes resume, the four converge with each child running once.
func TestMajorityQuorumMemorylessPairStaysPartitioned(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	r := runMemorylessPair(t, nil)
	if len(r.decided) > 0 {
		t.Fatalf("the memory-less pair decided %d requests about acknowledged children while the cluster's majority was unreachable, first: %s", len(r.decided), r.decided[0])
	}
	if !r.pairPartitioned {
		t.Fatalf("the memory-less pair was not partitioned throughout: %s", r.health)
	}
	if r.codes["partitioned"] == 0 {
		t.Fatalf("no probe was refused as partitioned (answers: %v)", r.codes)
	}
	if r.maxSeen > 1 {
		t.Fatalf("%d processes of child %s at one instant: %v", r.maxSeen, r.maxChild, r.who)
	}
	t.Logf("memory-less pair: %d probes over %v, answers %v; at most one process per child; healed and converged", r.probes, r.window.Round(time.Millisecond), r.codes)
}

// TestMemorylessPairWithoutSeedRuleDuplicates shows the test above can
// fail: the same run with the rule disabled (test-only PHUBD_TEST_BROKEN
// quorum-ignores-seeds, core.Broken.QuorumIgnoresSeeds) lets the pair
// take itself for a majority of the initial three: it acknowledges
// starts of children that run on the paused side (two processes of one
// child) or answers "not found" for them. Runs with E2E_CANFAIL=1.
func TestMemorylessPairWithoutSeedRuleDuplicates(t *testing.T) {
	if testing.Short() || os.Getenv("E2E_CANFAIL") == "" {
		t.Skip("e2e: the can-fail run needs E2E_CANFAIL=1")
	}
	r := runMemorylessPair(t, []string{"PHUBD_TEST_BROKEN=quorum-ignores-seeds"})
	if len(r.decided) == 0 || r.maxSeen < 2 {
		t.Fatalf("without the seed rule the pair decided %d requests and at most %d processes of a child ran at once (answers %v)", len(r.decided), r.maxSeen, r.codes)
	}
	t.Logf("without the seed rule: %d decided answers (first: %s), %d processes of child %s at once: %v", len(r.decided), r.decided[0], r.maxSeen, r.maxChild, r.who)
}

// memorylessPair is what one run observed while the pair was cut off.
type memorylessPair struct {
	decided         []string       // answers that decided something (ok, already started, not found)
	codes           map[string]int // every probe's answer by code ("ok" for success)
	probes          int
	window          time.Duration // how long the pair was probed
	pairPartitioned bool          // both said partitioned at every probe
	health          string        // the first health answer that was not partitioned
	maxSeen         int           // the most processes of one child at one instant
	maxChild        string
	who             []string
}

// runMemorylessPair runs the scenario of the tests above with env added
// to every phubd's environment. With the broken rule it stops probing at
// the first decided answer once a duplicate is seen; otherwise it heals
// and waits for convergence.
func runMemorylessPair(t *testing.T, env []string) memorylessPair {
	r := memorylessPair{codes: map[string]int{}, pairPartitioned: true}
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	// In memory (--durable=false): a restarted node remembers nothing.
	quorum := append([]string{"--partition", "majority_quorum", "--partition-initial", "3", "--durable=false", "--exec-grace", "1s"}, loadScaledDetection()...)
	for i := 1; i <= 3; i++ {
		c.procs = append(c.procs, &proc{name: fmt.Sprintf("node-%d", i), env: env, extra: quorum})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	n1, n2, n3 := c.procs[0], c.procs[1], c.procs[2]
	c.waitFormed(30 * time.Second)
	// Every node counts every member toward quorum: a member counts only
	// once a majority of the members before it have reported it alive,
	// and node-1 must have reported node-3 to node-2 before it dies
	// (otherwise node-2 counts itself alone of three once node-1 is gone
	// and stays partitioned; holding quorum with node-1 alive does not
	// show that, so the poll reads the counts).
	c.poll(30*time.Second, "every node counts every member toward quorum", func() error {
		for _, p := range c.procs {
			if h, err := c.healthOf(p); err != nil || h.Partitioned || !h.Ready || h.QuorumAlive != len(c.procs) {
				return fmt.Errorf("%s: %+v %v", p.name, h, err)
			}
		}
		return nil
	})

	// Three exec children, each its own command line so each is counted
	// apart.
	base := uniqueSleep()
	specs := make([]spec, pairChildren)
	argvs := make([][]string, pairChildren)
	for i := range specs {
		n, _ := strconv.Atoi(base[1])
		argvs[i] = []string{base[0], strconv.Itoa(n + i)}
		specs[i] = spec{ID: fmt.Sprintf("pair-%d", i), Kind: "exec", Params: map[string]string{"command": argvs[i][0], "args": argvs[i][1]}}
	}
	t.Cleanup(func() {
		for _, argv := range argvs {
			for _, pid := range processesWithArgs(argv...) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	c.poll(30*time.Second, "the children started (awaited)", func() error {
		var op opResponse
		if _, err := c.do(n2, "POST", "/v1/children", startRequest{Specs: specs, Await: true, Timeout: "10s"}, &op); err != nil {
			return err
		}
		for _, res := range op.Results {
			if res.Error != "" && !strings.Contains(res.Error, "already started") {
				return fmt.Errorf("start %s: %s", res.ID, res.Error)
			}
		}
		return nil
	})

	// node-1 dies; its children move to node-2 and node-3, which keep
	// quorum (two of three).
	if err := syscall.Kill(-n1.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n1.done
	c.poll(30*time.Second, "every child running once, on node-2 or node-3", c.eachRunningOnce(n2, []*proc{n2, n3}, specs, argvs))

	samplers := make([]*processSampler, pairChildren)
	for i := range samplers {
		samplers[i] = sampleProcesses(argvs[i]...)
	}

	// The cut: the members that remember the cluster stop answering.
	// Their exec children run on.
	paused := []*proc{n2, n3}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			for _, p := range paused {
				_ = p.cmd.Process.Signal(syscall.SIGCONT)
			}
		}
	}
	t.Cleanup(resume)
	for _, p := range paused {
		if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}

	// node-1 restarts in memory (seeds: node-2, node-3), node-4 joins
	// (seeds: node-1, node-2, node-3).
	c.start(n1)
	n4 := &proc{name: "node-4", env: env, extra: quorum}
	c.procs = append(c.procs, n4)
	c.start(n4)
	pair := []*proc{n1, n4}
	c.poll(30*time.Second, "node-1 and node-4 see each other alive", func() error {
		for _, p := range pair {
			m, err := c.members(p)
			if err != nil {
				return err
			}
			if m["node-1"] != "alive" || m["node-4"] != "alive" {
				return fmt.Errorf("%s sees %v", p.name, m)
			}
		}
		return nil
	})

	// Probe the pair for three failure-detector periods (scaled with the
	// load): what a pair that took itself for a majority would do within
	// them, it does within one.
	window := 3 * loadwait.Scale(time.Second)
	began := time.Now()
	for time.Since(began) < window || r.probes < 4*pairChildren {
		for i, sp := range specs {
			p := pair[(r.probes+i)%2]
			for _, q := range pair {
				h, err := c.healthOf(q)
				if err != nil {
					t.Fatalf("health of %s: %v", q.name, err)
				}
				if !h.Partitioned && r.pairPartitioned {
					r.pairPartitioned = false
					r.health = fmt.Sprintf("%s: %+v", q.name, h)
				}
			}
			code, detail := c.probeStart(p, sp)
			r.record(p, "start "+sp.ID, code, detail)
			code, detail = c.probeLookup(p, sp.ID)
			r.record(p, "owner lookup "+sp.ID, code, detail)
			r.probes++
		}
		time.Sleep(50 * time.Millisecond) // pacing the probes, not synchronization
		if len(r.decided) > 0 && len(env) > 0 {
			// The broken rule showed itself; let a started duplicate run
			// long enough to be sampled.
			c.poll(10*time.Second, "a duplicate process sampled", func() error {
				for _, s := range samplers {
					if s.peek() > 1 {
						return nil
					}
				}
				return fmt.Errorf("no child with two processes yet")
			})
			break
		}
	}
	r.window = time.Since(began)
	// The samples end with the cut: after it, the cluster may move
	// children (what is asserted then is convergence).
	for i, s := range samplers {
		n, _ := s.result()
		if n > r.maxSeen {
			r.maxSeen, r.maxChild, r.who = n, specs[i].ID, s.who()
		}
	}
	if len(env) == 0 {
		// Heal: the paused nodes resume; the four converge and every
		// child runs once.
		resume()
		all := []*proc{n1, n2, n3, n4}
		c.poll(60*time.Second, "the four converged, each child running once", c.eachRunningOnce(n2, all, specs, argvs))
	}
	return r
}

// explain says what p answers about a child that should run: its owner
// lookup and its own health.
func (c *cluster) explain(p *proc, id string) string {
	_, lookup, err := c.raw(p, "GET", "/v1/children/"+id+"?consistency=owner", nil)
	if err != nil {
		lookup = []byte(err.Error())
	}
	h, err := c.healthOf(p)
	return fmt.Sprintf("%s: lookup %s; health %+v %v", p.name, strings.Join(strings.Fields(string(lookup)), " "), h, err)
}

// record files one probe's answer.
func (r *memorylessPair) record(p *proc, what, code, detail string) {
	r.codes[code]++
	if code == "ok" || code == "already_started" || code == "not_found" {
		r.decided = append(r.decided, fmt.Sprintf("%s on %s: %s %s", what, p.name, code, detail))
	}
}

// healthOf returns p's detailed health (partitioned or not: a 503 is an
// answer here).
func (c *cluster) healthOf(p *proc) (healthResponse, error) {
	var h healthResponse
	_, b, err := c.raw(p, "GET", "/v1/health", nil)
	if err != nil {
		return h, err
	}
	return h, json.Unmarshal(b, &h)
}

// probeStart asks p to start sp (awaited, briefly) and returns the
// answer's code ("ok" for a success) and its body.
func (c *cluster) probeStart(p *proc, sp spec) (string, string) {
	status, b, err := c.raw(p, "POST", "/v1/children", startRequest{Specs: []spec{sp}, Await: true, Timeout: "2s"})
	if err != nil {
		return "transport", err.Error()
	}
	var op struct {
		OK      bool   `json:"ok"`
		Code    string `json:"code"`
		Results []struct {
			Code string `json:"code"`
		} `json:"results"`
	}
	_ = json.Unmarshal(b, &op)
	switch {
	case status/100 == 2 && op.OK:
		return "ok", string(b)
	case len(op.Results) == 1 && op.Results[0].Code != "":
		return op.Results[0].Code, string(b)
	case op.Code != "":
		return op.Code, string(b)
	}
	return fmt.Sprintf("status %d", status), string(b)
}

// probeLookup asks p to look id up at its owner.
func (c *cluster) probeLookup(p *proc, id string) (string, string) {
	status, b, err := c.raw(p, "GET", "/v1/children/"+id+"?consistency=owner", nil)
	if err != nil {
		return "transport", err.Error()
	}
	if status == http.StatusOK {
		return "ok", string(b)
	}
	var e struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		return e.Code, string(b)
	}
	return fmt.Sprintf("status %d", status), string(b)
}

// raw calls p's admin API and returns the status and body of any answer.
func (c *cluster) raw(p *proc, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, "http://"+p.admin+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// healthResponse is the detailed health answer (adminapi.HealthResponse).
type healthResponse struct {
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	Ready       bool   `json:"ready"`
	Partitioned bool   `json:"partitioned"`
	Alive       int    `json:"alive"`
	Members     int    `json:"members"`
	QuorumAlive int    `json:"quorum_alive"`
	QuorumKnown int    `json:"quorum_known"`
}

// peek returns the most processes seen at one instant so far.
func (s *processSampler) peek() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxSeen
}

// eachRunningOnce returns a poll condition that holds when every spec is
// registered on one of nodes (as via sees the registry) and runs as
// exactly one OS process (matched by its argv).
func (c *cluster) eachRunningOnce(via *proc, nodes []*proc, specs []spec, argvs [][]string) func() error {
	return func() error {
		at, err := c.where(via, nodes...)
		if err != nil {
			return err
		}
		for i, sp := range specs {
			if _, ok := at[sp.ID]; !ok {
				return fmt.Errorf("%s not running (%s)", sp.ID, c.explain(via, sp.ID))
			}
			if n := len(processesWithArgs(argvs[i]...)); n != 1 {
				return fmt.Errorf("%s: %d processes", sp.ID, n)
			}
		}
		return nil
	}
}
