package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
		return append([]string{"-test.count=1", "-test.timeout=" + testTimeout.String()}, extra...)
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
		return append(fast, stage{name: "go test ./...", args: []string{"-vet=off", "-count=1", "-timeout", testTimeout.String(), "./..."}}), nil
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
	// perStage names a bound for that stage.
	timeout  time.Duration
	perStage map[string]time.Duration
	// buildTimeout bounds one go test -c (default 30m).
	buildTimeout time.Duration
	// bin is where stage binaries are built (default a temporary dir).
	bin string
	// took records each stage's duration of the last run (the baseline's
	// sets the per-stage timeouts).
	took map[string]time.Duration
}

func (r *runner) stageTimeout(st stage) time.Duration {
	if d, ok := r.perStage[st.name]; ok {
		return d
	}
	return r.timeout
}

// run judges the tree with overlay (empty: the unmodified tree).
func (r *runner) run(overlay string) (Status, string, string) {
	r.took = map[string]time.Duration{}
	for _, st := range r.stages {
		t := time.Now()
		out, timedOut, buildFailed, err := r.exec(st, overlay)
		r.took[st.name] = time.Since(t)
		switch {
		case buildFailed:
			return Uncompilable, st.name, firstMatch(out, "")
		case timedOut:
			return TimedOut, st.name, fmt.Sprintf("timeout after %s", r.stageTimeout(st))
		case err == nil:
			continue
		case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
			return Uncompilable, st.name, firstMatch(out, "")
		default:
			return Killed, st.name, firstMatch(out, "--- FAIL")
		}
	}
	return Survived, "", ""
}

// exec runs one stage: for a pkg stage, a build then the binary.
func (r *runner) exec(st stage, overlay string) (out []byte, timedOut, buildFailed bool, err error) {
	if st.pkg == "" {
		out, err, timedOut = r.command(r.stageTimeout(st), r.root, st.env, overlay, "go", append([]string{"test"}, st.args...)...)
		return out, timedOut, false, err
	}
	dir := r.bin
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mutate-bin"); err != nil {
			return nil, false, true, err
		}
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, strings.ReplaceAll(strings.Trim(st.pkg, "./"), "/", "_")+".test")
	os.Remove(bin)
	bt := r.buildTimeout
	if bt == 0 {
		bt = 30 * time.Minute
	}
	out, err, timedOut = r.command(bt, r.root, nil, overlay, "go", "test", "-c", "-vet=off", "-o", bin, st.pkg)
	if timedOut {
		return out, true, false, err
	}
	if err != nil {
		return out, false, true, err
	}
	if _, serr := os.Stat(bin); serr != nil {
		// go test -c writes nothing for a package without tests.
		return []byte("no test binary for " + st.pkg), false, true, serr
	}
	out, err, timedOut = r.command(r.stageTimeout(st), filepath.Join(r.root, filepath.FromSlash(st.pkg)), st.env, overlay, bin, st.run...)
	return out, timedOut, false, err
}

// command runs name args in dir with the overlay in GOFLAGS (so nested
// go builds see the mutant), killing its process group after timeout.
func (r *runner) command(timeout time.Duration, dir string, extraEnv []string, overlay, name string, args ...string) ([]byte, error, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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
	err := cmd.Run()
	return out.Bytes(), err, ctx.Err() != nil
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
