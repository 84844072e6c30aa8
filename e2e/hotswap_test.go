//go:build linux

package e2e

import (
	"cmp"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// hotSwapRetention is the cluster's Migration.Retention: how long an old
// instance waits for its handover before it stops anyway (README: hot
// swap runs the new instance first, the old one hands its state over,
// then stops; retention bounds the overlap).
const hotSwapRetention = 5 * time.Second

// counterInfo is GET /v1/counters/{id}'s answer.
type counterInfo struct {
	Count    int64  `json:"count"`
	From     int64  `json:"from"`
	Handover bool   `json:"handover"`
	Epoch    uint64 `json:"epoch"`
	Instance uint64 `json:"instance"`
	Running  bool   `json:"running"`
}

// Hot-swap handover between phubd processes: a 3-node cluster under hot
// swap with handover runs counter children (their state, the count, is
// handed over; GET /v1/counters/{id} shows it) and exec children (OS
// processes that log their start, which is also their readiness probe,
// and their SIGTERM, each with the time). A 4th node joins, then one node
// leaves gracefully (SIGTERM, exit 0). Every child that moves:
//   - counter: the new instance on the new node got the old instance's
//     count (handover; from at least the count read before the move, at
//     most the old instance's final count; a higher epoch); at the join
//     the old instance stopped;
//   - exec, at the join: the new process was ready before the old one got
//     its SIGTERM (the old stops only after the new one runs), the two
//     overlap by at most the retention (plus the load's slack), and the
//     old one stopped on SIGTERM (not killed, not lost);
//   - exec, at the leave: the old process stopped on SIGTERM and one new
//     process took over (a graceful leave stops its children, then the
//     taker starts them with the stashed state: core/leave.go);
//   - never three processes of a child at once.
//
// At the end every child runs once, on its ring placement, and each exec
// child is exactly one process in /proc, the one which says it runs.
//
// Fails on a broken handover (child.go's requestHandover reporting an
// empty state: the new counters got no handover) and on a cold swap
// (--migration cold_swap: old processes stopped 50 ms before the new ones
// ran). Before core acknowledged a handover only once the new instance
// runs (migration.go, ackOnStart), 3 runs of 3 failed: old processes
// stopped 5-20 ms before their replacements were ready.
//
// The confirm variant runs the same with ConfirmHandover: a counter
// confirms the state it got, so its old instance stops then; an exec
// child confirms nothing, so its old process stops at the retention.
func TestHotSwapHandoverBetweenProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	t.Run("handover", func(t *testing.T) { testHotSwap(t, bin, swapHandover) })
	t.Run("confirm", func(t *testing.T) { testHotSwap(t, bin, swapConfirm) })
}

// TestHotSwapWithoutHandoverBetweenProcesses runs the same cluster under
// hot swap without handover (README: hot swap without handover stops the
// old copy once the new one runs): no counter gets a handover, and every
// exec child that moves at the join has its new process ready before the
// old one gets its SIGTERM. Each exec process takes 200 ms to become
// ready (a sleep before its start line, which is its readiness probe), so
// an old process stopped when the new holder claims the child, before
// its replacement runs (core before migration.go's empty handover), stops
// about that long before it: on real processes the old ones stopped
// 3.6-8.0 ms before their replacements were ready without the delay.
func TestHotSwapWithoutHandoverBetweenProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	testHotSwap(t, buildPhubd(t), swapNoHandover)
}

// swapMode is a hot-swap variant of testHotSwap.
type swapMode int

const (
	swapHandover   swapMode = iota // --migration-handover
	swapConfirm                    // --migration-handover --migration-confirm
	swapNoHandover                 // neither: no state moves
)

func testHotSwap(t *testing.T, bin string, mode swapMode) {
	const counters, execs = 120, 24
	await := loadwait.Scale(20 * time.Second)
	c := &cluster{t: t, bin: bin, dir: t.TempDir(), http: &http.Client{Timeout: await + 10*time.Second}}
	mark := fmt.Sprintf("hotswap-%d-%d", os.Getpid(), time.Now().UnixNano())
	newProc := func(name string) *proc {
		extra := append(loadScaledDetection(), "--migration", "hot_swap",
			"--migration-retention", hotSwapRetention.String(), "--exec-grace", "10s",
			"--exec-log-dir", filepath.Join(c.dir, "logs-"+name))
		if mode != swapNoHandover {
			extra = append(extra, "--migration-handover")
		}
		if mode == swapConfirm {
			extra = append(extra, "--migration-confirm")
		}
		return &proc{name: name, extra: extra}
	}
	for i := 1; i <= 3; i++ {
		c.procs = append(c.procs, newProc(fmt.Sprintf("node-%d", i)))
	}
	for _, p := range c.procs {
		c.start(p)
	}
	c.waitFormed(15 * time.Second)

	var ids, counterIDs, execIDs []string
	scripts := map[string]string{}
	req := startRequest{Await: true, Timeout: await.String()}
	for i := 0; i < counters; i++ {
		id := fmt.Sprintf("hc-%03d", i)
		counterIDs = append(counterIDs, id)
		req.Specs = append(req.Specs, spec{ID: id, Kind: "counter", Params: map[string]string{"interval_ms": "20"}})
	}
	for i := 0; i < execs; i++ {
		id := fmt.Sprintf("hx-%03d", i)
		execIDs = append(execIDs, id)
		// The start and the SIGTERM each log the process id and the
		// time; the comment makes the command line unique to this run
		// and child, for the count in /proc.
		readyAfter := ""
		if mode == swapNoHandover {
			readyAfter = "sleep 0.2; " // ready 200 ms after its launch
		}
		scripts[id] = readyAfter + "echo start $$ $(date +%s%N) $PHUB_NODE; trap 'echo stop $$ $(date +%s%N); exit 0' TERM; sleep 100000 & wait # " + mark + " " + id
		// The start line is the readiness probe: the node reports the
		// instance started only once it is printed, so a hot swap that
		// stops the old process only after the new one runs orders
		// the new start line before the old stop line.
		sp := execSpec(id, scripts[id])
		sp.Params["ready.line"] = "start "
		req.Specs = append(req.Specs, sp)
	}
	ids = append(append(ids, counterIDs...), execIDs...)
	t.Cleanup(func() { // whatever happens, no process of this test survives it
		for _, id := range execIDs {
			for _, pid := range processesWithArgs("sh", "-c", scripts[id]) {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
	})
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", req, &op); err != nil || !op.OK {
		t.Fatalf("start %d children: %v %+v", len(req.Specs), err, op)
	}

	// settled waits until every child runs once, on its placement, on
	// the nodes of live, and returns where each runs.
	settled := func(what string, live ...*proc) map[string]replica {
		t.Helper()
		var at map[string]replica
		c.poll(30*time.Second, what, func() error {
			var err error
			if at, err = c.where(live[0], live...); err != nil {
				return err
			}
			if len(at) != len(ids) {
				return fmt.Errorf("%d of %d children running", len(at), len(ids))
			}
			return c.onPlacement(live[0], ids)
		})
		return at
	}
	// counting waits until every counter has counted past zero, and
	// returns each one's count as its node shows it.
	counting := func(at map[string]replica) map[string]counterInfo {
		t.Helper()
		out := map[string]counterInfo{}
		c.poll(15*time.Second, "every counter counting", func() error {
			for _, id := range counterIDs {
				info, err := c.counter(c.byName(at[id].Node), id)
				if err != nil {
					return err
				}
				if !info.Running || info.Count == 0 {
					return fmt.Errorf("counter %s on %s: %+v", id, at[id].Node, info)
				}
				out[id] = info
			}
			return nil
		})
		return out
	}
	// handedOver checks every counter that moved off a node between
	// before and after: its new instance took the old one's count.
	// Without handover it checks that no new instance got one.
	handedOver := func(what string, before, after map[string]replica, counts map[string]counterInfo, oldGone bool) int {
		t.Helper()
		moved := 0
		for _, id := range counterIDs {
			from, to := before[id].Node, after[id].Node
			if from == to {
				continue
			}
			moved++
			if mode == swapNoHandover {
				if now, err := c.counter(c.byName(to), id); err != nil || now.Handover || now.Epoch <= counts[id].Epoch {
					t.Fatalf("%s: counter %s moved %s -> %s without handover: new instance %+v (%v), the old one at epoch %d",
						what, id, from, to, now, err, counts[id].Epoch)
				}
				continue
			}
			var now counterInfo
			c.poll(15*time.Second, "handover state of "+id, func() error {
				var err error
				if now, err = c.counter(c.byName(to), id); err != nil {
					return err
				}
				if !now.Handover {
					return fmt.Errorf("counter %s on %s got no handover: %+v", id, to, now)
				}
				return nil
			})
			if !now.Running || now.From < counts[id].Count || now.Epoch <= counts[id].Epoch {
				t.Fatalf("%s: counter %s moved %s -> %s: new instance %+v, the old one had counted %d at epoch %d before the move",
					what, id, from, to, now, counts[id].Count, counts[id].Epoch)
			}
			if oldGone {
				continue
			}
			var old counterInfo
			c.poll(15*time.Second, "old instance of "+id+" stopped", func() error {
				var err error
				if old, err = c.counter(c.byName(from), id); err != nil {
					return err
				}
				if old.Running {
					return fmt.Errorf("counter %s still runs on %s: %+v", id, from, old)
				}
				return nil
			})
			if old.Instance != counts[id].Instance || now.From > old.Count {
				t.Fatalf("%s: counter %s moved %s -> %s: old instance %+v, new one from %d", what, id, from, to, old, now.From)
			}
		}
		return moved
	}

	at := settled("every child running once on its placement", c.procs...)

	// A 4th node joins: the children it now owns move to it.
	counts := counting(at)
	n4 := newProc("node-4")
	c.procs = append(c.procs, n4)
	c.start(n4)
	joined := settled("every child on its placement with node-4", c.procs...)
	if moved := handedOver("join", at, joined, counts, false); moved == 0 {
		t.Fatal("join: no counter moved to node-4")
	} else {
		t.Logf("join: %d counters moved to node-4 (handover: %v)", moved, mode != swapNoHandover)
	}

	// node-2 leaves gracefully: its children move to the others, with
	// their state, before it exits 0.
	leaver := c.procs[1]
	counts = counting(joined)
	if err := leaver.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leaver.done:
	case <-time.After(loadwait.Scale(30 * time.Second)):
		t.Fatalf("%s did not exit after SIGTERM\n%s", leaver.name, c.logs())
	}
	if leaver.err != nil {
		t.Fatalf("%s exited with %v\n%s", leaver.name, leaver.err, c.logs())
	}
	var live []*proc
	for _, p := range c.procs {
		if p != leaver {
			live = append(live, p)
		}
	}
	left := settled("every child on its placement without node-2", live...)
	if moved := handedOver("leave", joined, left, counts, true); moved == 0 {
		t.Fatal("leave: no counter moved off node-2")
	} else {
		t.Logf("leave: %d counters moved off node-2 (handover: %v)", moved, mode != swapNoHandover)
	}

	// The exec children, from their logs and /proc, once each last
	// process is ready (without handover they take 200 ms: settled sees
	// them claimed, not ready).
	c.poll(loadwait.Scale(15*time.Second), "every exec child's last process ready", func() error {
		for _, id := range execIDs {
			b, _ := os.ReadFile(filepath.Join(c.dir, "logs-"+left[id].Node, id+".stdout.log"))
			if !strings.Contains(string(b), "start ") {
				return fmt.Errorf("exec child %s on %s: not ready yet", id, left[id].Node)
			}
		}
		return nil
	})
	moves, hotMoves, leaveMoves, maxOverlap, minOverlap := 0, 0, 0, time.Duration(0), time.Duration(-1)
	for _, id := range execIDs {
		runs := c.execRuns(id)
		pids := processesWithArgs("sh", "-c", scripts[id])
		if len(pids) != 1 {
			t.Fatalf("exec child %s: %d processes in /proc %v, want 1; runs %+v", id, len(pids), pids, runs)
		}
		last := runs[len(runs)-1]
		if last.pid != pids[0] || last.node != left[id].Node || last.stop != 0 {
			t.Fatalf("exec child %s: pid %d runs, where says %s; its last run %+v", id, pids[0], left[id].Node, last)
		}
		want := slices.Compact([]string{at[id].Node, joined[id].Node, left[id].Node})
		var got []string
		for _, r := range runs {
			got = append(got, r.node)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("exec child %s: runs on %v %+v, want one on each of %v", id, got, runs, want)
		}
		// What moved when: a join moves a child under hot swap (the
		// new process first); a graceful leave stops the old one and
		// hands its state to the next node, which starts the child
		// with it (core/leave.go): no overlap, any order allowed.
		var hot []bool
		if at[id].Node != joined[id].Node {
			hot = append(hot, true)
		}
		if joined[id].Node != left[id].Node {
			hot = append(hot, false)
		}
		slack := loadwait.Scale(2 * time.Second)
		for i := 1; i < len(runs); i++ {
			old, cur := runs[i-1], runs[i]
			moves++
			switch {
			case old.stop == 0:
				t.Fatalf("exec child %s: run %+v ended without its SIGTERM (killed or lost), then %+v", id, old, cur)
			case hot[i-1] && old.stop < cur.start:
				t.Fatalf("exec child %s: the old run %+v stopped %s before the new one %+v started: not a hot swap",
					id, old, time.Duration(cur.start-old.stop), cur)
			case hot[i-1] && time.Duration(old.stop-cur.start) > hotSwapRetention+slack:
				t.Fatalf("exec child %s: the old run %+v outlived the new one's start by %s, retention %s (+%s for the load)",
					id, old, time.Duration(old.stop-cur.start), hotSwapRetention, slack)
			case hot[i-1]:
				hotMoves++
				maxOverlap = max(maxOverlap, time.Duration(old.stop-cur.start))
				if minOverlap < 0 || time.Duration(old.stop-cur.start) < minOverlap {
					minOverlap = time.Duration(old.stop - cur.start)
				}
			case !hot[i-1]:
				leaveMoves++
			}
			if i >= 2 && runs[i-2].stop > cur.start {
				t.Fatalf("exec child %s: three runs at once: %+v", id, runs)
			}
		}
	}
	if hotMoves == 0 || leaveMoves == 0 {
		t.Fatalf("exec children moved %d times at the join, %d at the leave: each must move some", hotMoves, leaveMoves)
	}
	t.Logf("exec children: %d moved at the join, each new process running before the old one's SIGTERM (overlap %s to %s); %d moved off the leaving node, each old one stopped by SIGTERM",
		hotMoves, minOverlap, maxOverlap, leaveMoves)
}

// byName returns the cluster's process named name.
func (c *cluster) byName(name string) *proc {
	for _, p := range c.procs {
		if p.name == name {
			return p
		}
	}
	c.t.Fatalf("no node %q", name)
	return nil
}

// counter reads GET /v1/counters/{id} on p.
func (c *cluster) counter(p *proc, id string) (counterInfo, error) {
	var info counterInfo
	_, err := c.do(p, "GET", "/v1/counters/"+id, nil, &info)
	return info, err
}

// execRun is one process of an exec child, from its stdout log: when it
// started (Unix ns) and when it got SIGTERM (0: not yet, or never).
type execRun struct {
	node        string
	pid         int
	start, stop int64
}

// execRuns reads every node's stdout log of exec child id (the script's
// "start PID NS NODE" and "stop PID NS" lines) and returns its runs by
// start time.
func (c *cluster) execRuns(id string) []execRun {
	c.t.Helper()
	byPid := map[int]*execRun{}
	for _, p := range c.procs {
		b, err := os.ReadFile(filepath.Join(c.dir, "logs-"+p.name, id+".stdout.log"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 {
				c.t.Fatalf("exec child %s on %s: bad log line %q", id, p.name, line)
			}
			pid, err1 := strconv.Atoi(f[1])
			ns, err2 := strconv.ParseInt(f[2], 10, 64)
			if err1 != nil || err2 != nil {
				c.t.Fatalf("exec child %s on %s: bad log line %q", id, p.name, line)
			}
			r := byPid[pid]
			if r == nil {
				r = &execRun{pid: pid}
				byPid[pid] = r
			}
			switch {
			case f[0] == "start" && len(f) == 4:
				r.start, r.node = ns, f[3]
			case f[0] == "stop" && len(f) == 3:
				r.stop = ns
			default:
				c.t.Fatalf("exec child %s on %s: bad log line %q", id, p.name, line)
			}
		}
	}
	var out []execRun
	for _, r := range byPid {
		if r.start == 0 {
			c.t.Fatalf("exec child %s: pid %d logged a stop and no start", id, r.pid)
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b execRun) int { return cmp.Compare(a.start, b.start) })
	if len(out) == 0 {
		c.t.Fatalf("exec child %s: no run logged", id)
	}
	return out
}
