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

// stage is one `go test` invocation of an oracle.
type stage struct {
	name string
	args []string // after "go test"
	env  []string // extra KEY=VALUE
}

// oracleStages returns the test commands of an oracle. A mutant is killed
// by the first stage that fails; later stages only run for survivors, so
// "full" costs little more than "fast" for mutants fast kills. testTimeout
// is go test's -timeout: a mutant that hangs a test fails that test.
func oracleStages(name string, seeds int, testTimeout time.Duration) ([]stage, error) {
	// Cheapest first: core's own tests build one small binary.
	args := func(extra ...string) []string {
		return append([]string{"-vet=off", "-count=1", "-timeout", testTimeout.String()}, extra...)
	}
	fast := []stage{
		{name: "core", args: args("./core")},
		{name: "scenarios", args: args("./scenarios")},
		{name: fmt.Sprintf("sim sweep PHUB_SEEDS=%d", seeds), args: args("-run", "^TestSweep$", "./sim"), env: []string{fmt.Sprintf("PHUB_SEEDS=%d", seeds)}},
	}
	switch name {
	case "fast":
		return fast, nil
	case "full":
		return append(fast, stage{name: "go test ./...", args: args("./...")}), nil
	}
	return nil, fmt.Errorf("unknown oracle %q (want fast or full)", name)
}

// Status classifies a mutant.
type Status string

// The statuses of a mutant run.
const (
	Killed       Status = "killed"
	Survived     Status = "survived"
	Uncompilable Status = "uncompilable"
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
	root    string
	stages  []stage
	timeout time.Duration
}

// run judges the tree with overlay (empty: the unmodified tree).
func (r *runner) run(overlay string) (Status, string, string) {
	for _, st := range r.stages {
		out, err, timedOut := r.goTest(st, overlay)
		switch {
		case timedOut:
			return Killed, st.name, fmt.Sprintf("timeout after %s", r.timeout)
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

func (r *runner) goTest(st stage, overlay string) ([]byte, error, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, st.args...)...)
	cmd.Dir = r.root
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
	cmd.Env = append(env, st.env...)
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
