package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// stage is one test command of an oracle. A stage with pkg set is built
// once per mutant with `go test -c` (its build has its own, generous
// timeout) and its binary run in the package directory with run as flags,
// so the per-command timeout measures the tests alone, not a build that
// waits for a loaded machine. A stage without pkg runs `go test args`.
type stage struct {
	name string
	pkg  string   // package to build with go test -c ("./core"); empty: go test args
	run  []string // test binary flags (-test.run …), with pkg
	args []string // after "go test", without pkg
	env  []string // extra KEY=VALUE
}

// command is how the report shows a stage.
func (s stage) command() string {
	env := strings.Join(append(s.env, ""), " ")
	if s.pkg != "" {
		return fmt.Sprintf("%sgo test -c %s && %s.test %s", env, s.pkg, filepath.Base(s.pkg), strings.Join(s.run, " "))
	}
	return fmt.Sprintf("%sgo test %s", env, strings.Join(s.args, " "))
}

// oracleStages returns the test commands of an oracle. A mutant is killed
// by the first stage that fails; later stages only run for survivors, so
// "full" costs little more than "fast" for mutants fast kills. testTimeout
// is the tests' own -timeout: a mutant that hangs a test fails that test.
func oracleStages(name string, seeds int, testTimeout time.Duration) ([]stage, error) {
	// Cheapest first: core's own tests build one small binary.
	flags := func(extra ...string) []string {
		// -test.failfast: the first failure is the verdict; tests after
		// it (which a mutant may hang) need not run.
		return append([]string{"-test.count=1", "-test.failfast", "-test.timeout=" + testTimeout.String()}, extra...)
	}
	fast := []stage{
		{name: "core", pkg: "./core", run: flags()},
		{name: "scenarios", pkg: "./scenarios", run: flags()},
		{name: fmt.Sprintf("sim sweep PHUB_SEEDS=%d", seeds), pkg: "./sim", run: flags("-test.run=^TestSweep$"), env: []string{fmt.Sprintf("PHUB_SEEDS=%d", seeds)}},
	}
	switch name {
	case "fast":
		return fast, nil
	case "full":
		return append(fast, stage{name: "go test ./...", args: []string{"-vet=off", "-count=1", "-failfast", "-timeout", testTimeout.String(), "./..."}}), nil
	}
	return nil, fmt.Errorf("unknown oracle %q (want fast or full)", name)
}

// Status classifies a mutant.
type Status string

// The statuses of a mutant run. TimedOut is undecided: on a loaded
// machine a stage that outlives its timeout says nothing about the mutant
// (a hang and a slow machine look alike), so it counts neither as killed
// nor as survived.
const (
	Killed       Status = "killed"
	Survived     Status = "survived"
	Uncompilable Status = "uncompilable"
	TimedOut     Status = "timeout"
)

// Result is the verdict on one mutant.
type Result struct {
	ID      string  `json:"id"`
	Op      string  `json:"op"`
	Status  Status  `json:"status"`
	Stage   string  `json:"stage,omitempty"`  // the stage that killed it
	Detail  string  `json:"detail,omitempty"` // first failing test, "timeout" or the build error
	Seconds float64 `json:"seconds"`
	Diff    string  `json:"diff"`
}

// runner runs oracle stages against overlays.
type runner struct {
	root   string
	stages []stage
	// timeout bounds one stage's tests (the build excluded), unless
	// perStage names a bound for that stage. Where the CPU time of a
	// process group can be read (Linux) the bound is CPU time, the same
	// on an idle and on a loaded machine, and wall time only a backstop;
	// elsewhere it is wall time.
	timeout  time.Duration
	perStage map[string]time.Duration
	// wall is the wall-clock backstop of a stage bounded by CPU time
	// (default 10× its bound + 10m): it ends a stage that hangs without
	// using CPU, which go test's own -timeout normally fails first.
	wall time.Duration
	// buildTimeout bounds one go test -c (default 30m).
	buildTimeout time.Duration
	// bin is where stage binaries are built (default a temporary dir).
	bin string
	// took and cpu record each stage's wall and CPU time of the last run
	// (the baseline's set the per-stage timeouts).
	took map[string]time.Duration
	cpu  map[string]time.Duration
}

// cpuClock says whether stages are bounded by CPU time (groupCPUTime can
// read a process group's CPU time here).
var cpuClock = runtime.GOOS == "linux"

// bounds limits a command: wall time, and CPU time when cpu > 0.
type bounds struct{ wall, cpu time.Duration }

func (r *runner) stageTimeout(st stage) time.Duration {
	if d, ok := r.perStage[st.name]; ok {
		return d
	}
	return r.timeout
}

func (r *runner) stageBounds(st stage) bounds {
	b := r.stageTimeout(st)
	if !cpuClock {
		return bounds{wall: b}
	}
	w := r.wall
	if w == 0 {
		w = 10*b + 10*time.Minute
	}
	return bounds{wall: w, cpu: b}
}

// ended says which bound ended a command, if any.
type ended int

const (
	finished ended = iota
	overWall
	overCPU
)

// timeoutDetail says which bound a timed-out stage outlived.
func timeoutDetail(b bounds, e ended) string {
	if e == overCPU {
		return fmt.Sprintf("timeout after %s of CPU", b.cpu)
	}
	return fmt.Sprintf("timeout after %s", b.wall)
}

// run judges the tree with overlay (empty: the unmodified tree).
func (r *runner) run(overlay string) (Status, string, string) {
	r.took, r.cpu = map[string]time.Duration{}, map[string]time.Duration{}
	for _, st := range r.stages {
		t := time.Now()
		out, end, buildFailed, err := r.exec(st, overlay)
		r.took[st.name] = time.Since(t)
		status, detail := verdict(out, end, buildFailed, err)
		if status == TimedOut {
			detail = timeoutDetail(r.stageBounds(st), end)
		}
		if status != Survived {
			return status, st.name, detail
		}
	}
	return Survived, "", ""
}

// verdict judges one stage from its output and how it ended. A test that
// failed kills the mutant even if a later test then hung the stage past
// its bound: the failure is a verdict, the hang adds nothing to it.
func verdict(out []byte, end ended, buildFailed bool, err error) (Status, string) {
	switch {
	case buildFailed:
		return Uncompilable, firstMatch(out, "")
	case end != finished && bytes.Contains(out, []byte("--- FAIL")):
		return Killed, firstMatch(out, "--- FAIL")
	case end != finished:
		return TimedOut, ""
	case err == nil:
		return Survived, ""
	case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
		return Uncompilable, firstMatch(out, "")
	default:
		return Killed, firstMatch(out, "--- FAIL")
	}
}

// exec runs one stage: for a pkg stage, a build then the binary.
func (r *runner) exec(st stage, overlay string) (out []byte, end ended, buildFailed bool, err error) {
	if st.pkg == "" {
		var cpu time.Duration
		out, end, cpu, err = r.command(r.stageBounds(st), r.root, st.env, overlay, "go", append([]string{"test"}, st.args...)...)
		r.cpu[st.name] = cpu
		return out, end, false, err
	}
	dir := r.bin
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mutate-bin"); err != nil {
			return nil, finished, true, err
		}
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, strings.ReplaceAll(strings.Trim(st.pkg, "./"), "/", "_")+".test")
	os.Remove(bin)
	bt := r.buildTimeout
	if bt == 0 {
		bt = 30 * time.Minute
	}
	out, end, _, err = r.command(bounds{wall: bt}, r.root, nil, overlay, "go", "test", "-c", "-vet=off", "-o", bin, st.pkg)
	if end != finished {
		return out, end, false, err
	}
	if err != nil {
		return out, finished, true, err
	}
	if _, serr := os.Stat(bin); serr != nil {
		// go test -c writes nothing for a package without tests.
		return []byte("no test binary for " + st.pkg), finished, true, serr
	}
	var cpu time.Duration
	out, end, cpu, err = r.command(r.stageBounds(st), filepath.Join(r.root, filepath.FromSlash(st.pkg)), st.env, overlay, bin, st.run...)
	r.cpu[st.name] = cpu
	return out, end, false, err
}

// cpuPoll is how often a command's CPU time is read.
const cpuPoll = time.Second

// command runs name args in dir with the overlay in GOFLAGS (so nested
// go builds see the mutant), killing its process group once it outlives
// b.wall or its process group has used b.cpu of CPU time (b.cpu > 0,
// read every cpuPoll). It returns the output, which bound ended it if
// any, the CPU time the command used (with the children it waited for)
// and the error.
func (r *runner) command(b bounds, dir string, extraEnv []string, overlay, name string, args ...string) ([]byte, ended, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.wall)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PHUB_SEEDS=") && !strings.HasPrefix(kv, "GOFLAGS=") {
			env = append(env, kv)
		}
	}
	flags := os.Getenv("GOFLAGS")
	if overlay != "" {
		// GOFLAGS, not -overlay: tests that run `go build` themselves
		// (e2e builds phubd) must see the mutant too.
		flags = strings.TrimSpace(flags + " -overlay=" + overlay)
	}
	if flags != "" {
		env = append(env, "GOFLAGS="+flags)
	}
	if overlay != "" {
		// A property a mutant breaks must not leave a rapid fail file in
		// the tree (testdata/rapid/…): the tree is never written.
		env = append(env, "RAPID_NOFAILFILE=1")
	}
	cmd.Env = append(env, extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	killGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return out.Bytes(), finished, 0, err
	}
	done := make(chan struct{})
	var cpuOver atomic.Bool
	if b.cpu > 0 {
		go func() {
			tick := time.NewTicker(cpuPoll)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				if used, ok := groupCPUTime(cmd.Process.Pid); ok && used > b.cpu {
					cpuOver.Store(true)
					cancel() // the context's Cancel kills the group
					return
				}
			}
		}()
	}
	err := cmd.Wait()
	close(done)
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	end := finished
	switch {
	case cpuOver.Load():
		end = overCPU
	case ctx.Err() != nil:
		end = overWall
	}
	return out.Bytes(), end, cpu, err
}

// firstMatch returns the deepest "--- FAIL" line (the failing subtest)
// or a panic line when want is set, else the last non-empty line that is
// not a package summary. Details are cut to one short line.
func firstMatch(out []byte, want string) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	pick := ""
	if want != "" {
		for _, l := range lines {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, want) && strings.Count(l, "/") >= strings.Count(pick, "/") && (pick == "" || strings.Count(l, "/") > strings.Count(pick, "/")) {
				pick = l
			}
			if pick == "" && strings.HasPrefix(l, "panic:") {
				pick = l
			}
		}
	}
	for i := len(lines) - 1; i >= 0 && pick == ""; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "FAIL") && !strings.HasPrefix(l, "ok") {
			pick = l
		}
	}
	if len(pick) > 160 {
		pick = pick[:160] + "…"
	}
	return pick
}

// writeOverlay writes the mutated file and an overlay mapping the
// original path to it, both under dir.
func writeOverlay(dir, root, file string, src []byte) (string, error) {
	mut := filepath.Join(dir, "mutant.go")
	if err := os.WriteFile(mut, src, 0o644); err != nil {
		return "", err
	}
	ov := struct{ Replace map[string]string }{map[string]string{filepath.Join(root, filepath.FromSlash(file)): mut}}
	b, err := json.Marshal(ov)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "overlay.json")
	return path, os.WriteFile(path, b, 0o644)
}
