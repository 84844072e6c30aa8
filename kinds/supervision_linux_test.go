//go:build linux

package kinds_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
)

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// pidsFromLog waits until the log file holds n pids (one per line).
func pidsFromLog(t *testing.T, path string, n int) []int {
	t.Helper()
	var pids []int
	waitFor(t, "pids in "+path, func() bool {
		b, _ := os.ReadFile(path)
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
		return len(pids) >= n
	})
	return pids[:n]
}

// killOnCleanup makes sure no test process outlives the test.
func killOnCleanup(t *testing.T, pids ...int) {
	t.Cleanup(func() {
		for _, p := range pids {
			if alive(p) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
}

// Secrets of the node never reach a child: every PHUB_* variable is
// removed unless passed through explicitly; the fencing token is set.
func TestExecEnvScrubsNodeSettings(t *testing.T) {
	t.Setenv("PHUB_SECRET", "cluster-secret-value")
	t.Setenv("PHUB_ADMIN_TOKEN", "admin-token-value")
	t.Setenv("PHUB_ADMIN_ADDR", "127.0.0.1:9")
	t.Setenv("PHUB_EPOCH", "999") // an outer phubd's child variable is replaced, not kept
	t.Setenv("PHUB_TEST_KEEP", "no")
	t.Setenv("OTHER_VAR", "kept")
	dir := t.TempDir()
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir, PassEnv: []string{"PHUB_ADMIN_ADDR"}})
	spec := core.ChildSpec{ID: "envdump", Params: map[string]string{"command": "env", "env.EXTRA": "x"}}
	child, err := factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Run(context.Background(), newEnv(spec, 4, nil)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "envdump.stdout.log"))
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if _, dup := got[k]; dup {
			t.Errorf("variable %s set twice", k)
		}
		got[k] = v
	}
	for _, k := range []string{"PHUB_SECRET", "PHUB_ADMIN_TOKEN", "PHUB_TEST_KEEP"} {
		if v, ok := got[k]; ok {
			t.Errorf("child inherited %s=%s", k, v)
		}
	}
	want := map[string]string{
		"PHUB_ADMIN_ADDR": "127.0.0.1:9", "OTHER_VAR": "kept", "EXTRA": "x",
		"PHUB_CHILD_ID": "envdump", "PHUB_EPOCH": "4", "PHUB_INSTANCE": "7", "PHUB_NODE": "n1",
		"PHUB_FENCE": core.Fence{Epoch: 4, Incarnation: 5, Instance: 7, Node: "n1"}.String(),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}

// A spec cannot override the variables phub sets.
func TestExecSpecCannotSetChildVars(t *testing.T) {
	factory := kinds.NewExec(kinds.ExecConfig{})
	for _, name := range kinds.ChildEnvVars {
		_, err := factory(core.ChildSpec{ID: "x", Params: map[string]string{"command": "true", "env." + name: "1"}})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("env.%s: %v, want an error naming it", name, err)
		}
	}
	if _, err := factory(core.ChildSpec{ID: "x", Params: map[string]string{"command": "true", "env.": "1"}}); err == nil {
		t.Error("empty env name accepted")
	}
}

// When the process exits, what it left in its process group is killed.
func TestExecKillsGroupOnExit(t *testing.T) {
	dir := t.TempDir()
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir})
	spec := core.ChildSpec{ID: "bg", Params: map[string]string{"command": "sh", "args": `["-c", "sleep 3131 & echo $!"]`}}
	child, err := factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Run(context.Background(), newEnv(spec, 1, nil)); err != nil {
		t.Fatal(err)
	}
	bg := pidsFromLog(t, filepath.Join(dir, "bg.stdout.log"), 1)[0]
	killOnCleanup(t, bg)
	waitFor(t, "background sleep killed", func() bool { return !alive(bg) })
}

// memJournal is a ProcessJournal in memory.
type memJournal struct {
	mu      sync.Mutex
	recs    map[int]kinds.ProcessRecord
	forgot  []int
	failRec error
}

func (j *memJournal) Record(r kinds.ProcessRecord) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.failRec != nil {
		return j.failRec
	}
	j.recs[r.Pid] = r
	return nil
}

func (j *memJournal) Forget(pid int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.recs, pid)
	j.forgot = append(j.forgot, pid)
	return nil
}

func (j *memJournal) snapshot() []kinds.ProcessRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []kinds.ProcessRecord
	for _, r := range j.recs {
		out = append(out, r)
	}
	return out
}

// The journal holds a running child's pid, start time and fencing token,
// and forgets it when the child is gone; a start that cannot be recorded
// fails and leaves no process behind.
func TestExecJournal(t *testing.T) {
	dir := t.TempDir()
	j := &memJournal{recs: map[int]kinds.ProcessRecord{}}
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir, Journal: j, Grace: time.Second})
	spec := core.ChildSpec{ID: "j", Params: map[string]string{"command": "sh", "args": `["-c", "echo $$; exec sleep 3132"]`}}
	child, _ := factory(spec)
	ctx, cancel := context.WithCancel(context.Background())
	done := run(ctx, child, newEnv(spec, 6, nil))
	pid := pidsFromLog(t, filepath.Join(dir, "j.stdout.log"), 1)[0]
	killOnCleanup(t, pid)
	waitFor(t, "record", func() bool { return len(j.snapshot()) == 1 })
	r := j.snapshot()[0]
	if r.Pid != pid || r.Child != "j" || r.Epoch != 6 || r.Instance != 7 || r.StartTicks == 0 || r.BootID == "" ||
		r.Fence != (core.Fence{Epoch: 6, Incarnation: 5, Instance: 7, Node: "n1"}).String() {
		t.Fatalf("record %+v (pid %d)", r, pid)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(j.snapshot()) != 0 || len(j.forgot) != 1 || j.forgot[0] != pid {
		t.Fatalf("after stop: records %v, forgot %v", j.snapshot(), j.forgot)
	}
	if alive(pid) {
		t.Fatal("stopped child alive")
	}

	j.failRec = fmt.Errorf("disk full")
	spec2 := core.ChildSpec{ID: "j2", Params: map[string]string{"command": "sh", "args": `["-c", "echo $$; exec sleep 3133"]`}}
	child2, _ := factory(spec2)
	err := child2.Run(context.Background(), newEnv(spec2, 1, nil))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Run with a failing journal: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "j2.stdout.log"))
	if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		killOnCleanup(t, p)
		if alive(p) {
			t.Fatal("unrecorded child left running")
		}
	}
}

// startGroup starts `sh -c script` in its own process group, as the exec
// kind does, and returns its record and the pids it printed.
func startGroup(t *testing.T, script string, n int) (*exec.Cmd, []int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdout = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	pids := pidsFromLog(t, out, n)
	killOnCleanup(t, append([]int{cmd.Process.Pid}, pids...)...)
	return cmd, pids
}

// recordOf returns the journal record of a running process started
// outside the exec kind, read from /proc as the kind reads it.
func recordOf(t *testing.T, pid int) kinds.ProcessRecord {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return kinds.ProcessRecord{Child: "c", Pid: pid, StartTicks: start, BootID: strings.TrimSpace(string(boot))}
}

// At boot, a leftover group is killed whether its leader still runs or
// only a grandchild does; a record whose pid was reused (different start
// time) or that belongs to another boot kills nothing.
func TestReapLeftovers(t *testing.T) {
	// Leader and grandchild alive.
	cmd1, p1 := startGroup(t, "sleep 3141 & echo $!; wait", 1)
	rec1 := recordOf(t, cmd1.Process.Pid)
	// Leader dead (as after the parent-death signal), grandchild alive.
	cmd2, p2 := startGroup(t, "sleep 3142 & echo $!; wait", 1)
	rec2 := recordOf(t, cmd2.Process.Pid)
	if err := syscall.Kill(cmd2.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "leader 2 dead", func() bool { return !alive(cmd2.Process.Pid) })
	// A live group whose record does not match (pid reuse, other boot).
	cmd3, p3 := startGroup(t, "sleep 3143 & echo $!; wait", 1)
	reused := recordOf(t, cmd3.Process.Pid)
	reused.StartTicks--
	otherBoot := recordOf(t, cmd3.Process.Pid)
	otherBoot.BootID = "another-boot"

	rep, err := kinds.ReapLeftovers([]kinds.ProcessRecord{rec1, rec2, reused, otherBoot}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Groups != 2 || rep.Processes != 3 || rep.Stale != 2 {
		t.Fatalf("report %+v, want 2 groups, 3 processes (leader+grandchild, grandchild), 2 stale", rep)
	}
	for _, p := range []int{cmd1.Process.Pid, p1[0], p2[0]} {
		if alive(p) {
			t.Errorf("pid %d survived the reap", p)
		}
	}
	if !alive(cmd3.Process.Pid) || !alive(p3[0]) {
		t.Fatal("a group whose record did not match was killed")
	}
}

// The parent-death signal: a child started by a process killed with
// SIGKILL dies with it. The helper is this test binary in spawner mode.
func TestExecDiesWithNode(t *testing.T) {
	if os.Getenv("PHUB_KINDS_SPAWNER") != "" {
		return // the helper's own run of this test: see TestHelperSpawner
	}
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestHelperSpawner$")
	helper.Env = append(os.Environ(), "PHUB_KINDS_SPAWNER="+dir)
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = helper.Process.Kill(); _ = helper.Wait() }()
	pid := pidsFromLog(t, filepath.Join(dir, "orphan.stdout.log"), 1)[0]
	killOnCleanup(t, pid)
	if !alive(pid) {
		t.Fatal("child not running")
	}
	start := time.Now()
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "child killed with its parent", func() bool { return !alive(pid) })
	t.Logf("child gone %s after its parent's SIGKILL", time.Since(start))
}

// TestHelperSpawner is TestExecDiesWithNode's helper process: it churns
// OS threads (goroutines that lock their thread and exit end the thread),
// starts an exec child, and blocks until killed.
func TestHelperSpawner(t *testing.T) {
	dir := os.Getenv("PHUB_KINDS_SPAWNER")
	if dir == "" {
		t.Skip("helper process of TestExecDiesWithNode")
	}
	churn := func() {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); lockAndExit() }()
		}
		wg.Wait()
	}
	churn()
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir})
	spec := core.ChildSpec{ID: "orphan", Params: map[string]string{"command": "sh", "args": `["-c", "echo $$; exec sleep 3151"]`}}
	child, err := factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	done := run(context.Background(), child, newEnv(spec, 1, nil))
	churn() // threads that could have forked the child end now
	<-done
}
