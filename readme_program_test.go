package phub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's first program is built from the README's own text and run
// as a new user would run it: a 3-node cluster on loopback that places
// three children and looks one up from n3. It must exit 0 and print what
// the README says it prints. (TestReadmeLibraryProgramIsExampleCluster
// keeps Example_cluster identical to it as well.)
func TestReadmeLibraryProgramRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program (~10 s)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	prog := readmeProgram(t)
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// The program is compiled inside this module, so its imports resolve
	// as they would for a user of the module, through an overlay: a file
	// at a path that does not exist in the tree, read from a temp dir.
	virtual := filepath.Join(root, "internal", "readmeprogram", "main.go")
	if _, err := os.Stat(filepath.Dir(virtual)); err == nil {
		t.Fatalf("%s exists: the overlay needs a path outside the tree", filepath.Dir(virtual))
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {virtual: src}})
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "readme-program")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goTool, "build", "-overlay="+ov, "-o", bin, "./internal/readmeprogram")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the README program does not build: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	run := exec.CommandContext(ctx, bin)
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("the README program failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	// "It prints where each child runs (job-1 runs on [n2] epoch 1, …) and
	// what n3's lookup of job-1 says."
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	runsOn := regexp.MustCompile(`^(job-[123]) runs on \[(n[123])\] epoch 1$`)
	where := map[string]string{}
	for _, l := range lines {
		if m := runsOn.FindStringSubmatch(l); m != nil {
			where[m[1]] = m[2]
		}
	}
	want := "n3 looks up job-1: [" + where["job-1"] + "]"
	if len(lines) != 4 || len(where) != 3 || lines[3] != want {
		t.Fatalf("the README program printed:\n%s\nwant three lines \"job-N runs on [nX] epoch 1\", then %q", stdout.String(), want)
	}
}
