//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orphanBound is the documented bound on how long an exec child outlives
// a kill -9 of its node (cmd/phubd/README.md).
const orphanBound = time.Second

// alive reports whether pid is a live process (zombies count as dead).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// logPids waits until the child's stdout log holds n pids.
func (c *cluster) logPids(logDir, child string, n int) []int {
	c.t.Helper()
	var pids []int
	c.poll(15*time.Second, "pids of "+child, func() error {
		b, _ := os.ReadFile(filepath.Join(logDir, child+".stdout.log"))
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
		if len(pids) < n {
			return fmt.Errorf("%d of %d pids", len(pids), n)
		}
		return nil
	})
	c.t.Cleanup(func() {
		for _, p := range pids {
			if alive(p) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	return pids[:n]
}

// execSpec is an exec child of the admin API.
func execSpec(id, script string) spec {
	return spec{ID: id, Kind: "exec", Params: map[string]string{"command": "sh", "args": fmt.Sprintf("[%q, %q]", "-c", script)}}
}

// An exec child never outlives its node: kill -9 of phubd ends its direct
// children within orphanBound (parent-death signal), and the next boot
// kills what they left in their process groups before the node starts.
// The data dir is exclusive; children never see the node's secrets; a
// spec that can start nowhere is refused with 400; SIGTERM on a lone node
// says what happened to its children and exits 0.
func TestExecChildrenNeverOutliveTheirNode(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	t.Cleanup(func() { // whatever happens, no child of this test survives it
		for _, n := range []string{"4242001", "4243001", "4244001", "4245001"} {
			for _, pid := range processesWithArgs("sleep", n) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	logDir := filepath.Join(c.dir, "logs")
	p := &proc{name: "solo", extra: []string{"--exec-log-dir", logDir, "--exec-grace", "2s"}}
	c.procs = []*proc{p}
	c.start(p)
	c.poll(15*time.Second, "admin API up", func() error { _, err := c.do(p, "GET", "/v1/members", nil, nil); return err })

	t.Run("invalid specs are refused at the entry", func(t *testing.T) {
		notExec := filepath.Join(c.dir, "not-executable")
		if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, sp := range []spec{
			{ID: "k", Kind: "no-such-kind"},
			{ID: "m", Kind: "exec", Params: map[string]string{"command": "no-such-program-phub"}},
			{ID: "x", Kind: "exec", Params: map[string]string{"command": notExec}},
		} {
			st, err := c.do(p, "POST", "/v1/children", startRequest{Specs: []spec{sp}, Await: true, Timeout: "5s"}, nil)
			if st != http.StatusBadRequest || err == nil || !strings.Contains(err.Error(), "invalid_spec") {
				t.Errorf("spec %+v: status %d %v, want 400 invalid_spec", sp, st, err)
			}
		}
	})

	var op opResponse
	req := startRequest{Await: true, Timeout: "10s", Specs: []spec{
		execSpec("direct", "echo $$; exec sleep 4242001"),
		execSpec("group", "sleep 4243001 & echo $$ $!; wait"),
		execSpec("envdump", "env; echo envdump-pid=$$; exec sleep 4244001"),
	}}
	if _, err := c.do(p, "POST", "/v1/children", req, &op); err != nil || !op.OK {
		t.Fatalf("start exec children: %v %+v", err, op)
	}
	direct := c.logPids(logDir, "direct", 1)[0]
	group := c.logPids(logDir, "group", 2)
	leader, grandchild := group[0], group[1]

	t.Run("children never see the node's secrets", func(t *testing.T) {
		var env string
		c.poll(15*time.Second, "environment dumped", func() error {
			b, _ := os.ReadFile(filepath.Join(logDir, "envdump.stdout.log"))
			if env = string(b); !strings.Contains(env, "envdump-pid=") {
				return fmt.Errorf("no pid line yet")
			}
			return nil
		})
		for _, leak := range []string{"PHUB_SECRET=", "PHUB_ADMIN_TOKEN=", secret, token} {
			if strings.Contains(env, leak) {
				t.Errorf("child environment holds %q", leak)
			}
		}
		var epoch uint64
		for _, r := range op.Results {
			if r.ID == "envdump" {
				epoch = r.Epoch
			}
		}
		wantPrefix := fmt.Sprintf("PHUB_FENCE=%020d.", epoch)
		if !strings.Contains(env, "\n"+wantPrefix) || !strings.Contains(env, ".solo\n") {
			t.Errorf("PHUB_FENCE missing or not <epoch %d>...solo:\n%s", epoch, env)
		}
	})

	t.Run("the data dir is exclusive", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		second := exec.CommandContext(ctx, c.bin, "run", "--name", "solo", "--listen", anyPort, "--admin-addr", anyPort,
			"--data-dir", filepath.Join(c.dir, "data-solo"))
		second.Env = append(testEnviron(), "PHUB_SECRET="+secret, "PHUB_ADMIN_TOKEN="+token)
		out, err := second.CombinedOutput()
		var ee *exec.ExitError
		if !errorsAs(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "data dir in use by another phubd") {
			t.Fatalf("second phubd on the same data dir: %v\n%s", err, out)
		}
	})

	for _, pid := range []int{direct, leader, grandchild} {
		if !alive(pid) {
			t.Fatalf("pid %d not running before the kill", pid)
		}
	}
	killed := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for !(time.Since(killed) > 5*time.Second || (!alive(direct) && !alive(leader))) {
		time.Sleep(time.Millisecond)
	}
	gone := time.Since(killed)
	if alive(direct) || alive(leader) {
		t.Fatalf("direct children still alive %s after kill -9 of their node", gone)
	}
	t.Logf("direct exec children gone %s after kill -9 of phubd (bound %s)", gone, orphanBound)
	if gone > orphanBound {
		t.Fatalf("direct children outlived their node by %s, documented bound %s", gone, orphanBound)
	}
	<-p.done
	if !alive(grandchild) {
		t.Fatal("grandchild died with the node: the reboot's reaping is not exercised")
	}

	// Reboot on the same data dir: the grandchild is dead by the time the
	// node serves its admin API, and the log says so before the node runs.
	c.start(p)
	c.poll(15*time.Second, "admin API up again", func() error {
		_, err := c.do(p, "GET", "/v1/members", nil, nil)
		return err
	})
	if alive(grandchild) {
		t.Fatalf("grandchild %d survived the reboot\n%s", grandchild, c.logs())
	}
	logs := c.logs()
	reaped := strings.Index(logs, "phubd reaped leftovers of a previous incarnation")
	running := strings.Index(logs, "phubd running")
	if reaped < 0 || running < 0 || reaped > running || !strings.Contains(logs, `"child":"group"`) {
		t.Fatalf("reaping not logged before the node ran (reaped at %d, running at %d)\n%s", reaped, running, logs)
	}

	// SIGTERM on a lone node: its children are stopped (nobody can take
	// them), the log says so, the exit status is 0, nothing is left. The
	// node is durable (phubd's default): the three children started
	// before the kill -9 run again after the reboot, so it stops four.
	if _, err := c.do(p, "POST", "/v1/children", startRequest{Await: true, Timeout: "10s",
		Specs: []spec{execSpec("last", "echo $$; exec sleep 4245001")}}, &op); err != nil || !op.OK {
		t.Fatalf("start: %v %+v", err, op)
	}
	last := c.logPids(logDir, "last", 1)[0]
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", c.logs())
	}
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v, want status 0\n%s", p.err, c.logs())
	}
	if alive(last) {
		t.Fatal("exec child outlived a graceful stop")
	}
	logs = c.logs()
	if !strings.Contains(logs, `"msg":"phubd children at leave"`) || !strings.Contains(logs, `"children":4`) ||
		!strings.Contains(logs, "no other node is alive") {
		t.Fatalf("leave not reported\n%s", logs)
	}
	if ents, _ := os.ReadDir(filepath.Join(c.dir, "data-solo", "children")); len(ents) != 0 {
		t.Fatalf("records left after a clean stop: %v", ents)
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}

// processesWithArgs returns the live processes whose command line is
// argv (the program by its base name: exec children run by full path).
func processesWithArgs(argv ...string) []int {
	want := strings.Join(argv[1:], "\x00") + "\x00"
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		prog, rest, _ := strings.Cut(string(b), "\x00")
		if err == nil && filepath.Base(prog) == argv[0] && rest == want && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// The reproduction at the OS level: kill -9 of the node running
// an exec child while another node takes it over. Exactly one process of
// the child runs afterwards (the old one died with its node), and a stop
// through the API leaves none.
func TestExecChildRunsOnceAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	for _, name := range []string{"na", "nb"} {
		c.procs = append(c.procs, &proc{name: name})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	argv := []string{"sleep", "4246017"}
	t.Cleanup(func() {
		for _, pid := range processesWithArgs(argv...) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	c.poll(20*time.Second, "cluster of 2 formed", func() error {
		_, err := c.where(c.procs[0], c.procs...)
		return err
	})
	sp := spec{ID: "job", Kind: "exec", Params: map[string]string{"command": argv[0], "args": argv[1]}}
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", startRequest{Specs: []spec{sp}, Await: true, Timeout: "10s"}, &op); err != nil || !op.OK {
		t.Fatalf("start: %v %+v", err, op)
	}
	holder := op.Results[0].Nodes[0]
	victim, survivor := c.procs[0], c.procs[1]
	if victim.name != holder {
		victim, survivor = survivor, victim
	}
	c.poll(10*time.Second, "one process of the child", func() error {
		if n := len(processesWithArgs(argv...)); n != 1 {
			return fmt.Errorf("%d processes", n)
		}
		return nil
	})
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	c.poll(30*time.Second, "the child taken over, one process of it", func() error {
		w, err := c.where(survivor, survivor)
		if err != nil {
			return err
		}
		if w["job"].Node != survivor.name {
			return fmt.Errorf("job runs on %q", w["job"].Node)
		}
		if n := len(processesWithArgs(argv...)); n != 1 {
			return fmt.Errorf("%d processes of the child", n)
		}
		return nil
	})
	if _, err := c.do(survivor, "DELETE", "/v1/children", map[string]any{"ids": []string{"job"}, "await": true}, &op); err != nil || !op.OK {
		t.Fatalf("stop: %v %+v", err, op)
	}
	c.poll(10*time.Second, "no process of the stopped child", func() error {
		if n := len(processesWithArgs(argv...)); n != 0 {
			return fmt.Errorf("%d processes", n)
		}
		return nil
	})
}
