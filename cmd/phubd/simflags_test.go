package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/phub/phub/sim"
)

// TestSimSetsGC: phubd sim runs with the collector at simGCPercent unless
// GOGC is set, which it then leaves alone.
func TestSimSetsGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	t.Setenv("GOGC", "")
	if got := setSimGC(); got != simGCPercent {
		t.Fatalf("setSimGC without GOGC = %d, want %d", got, simGCPercent)
	}
	if got := debug.SetGCPercent(100); got != simGCPercent {
		t.Fatalf("GC percent after setSimGC = %d, want %d", got, simGCPercent)
	}

	t.Setenv("GOGC", "100")
	debug.SetGCPercent(100)
	if got := setSimGC(); got != -1 {
		t.Fatalf("setSimGC with GOGC=100 = %d, want -1 (left to the environment)", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent with GOGC=100 = %d, want 100", got)
	}
}

// TestSimCPUProfile: --cpuprofile writes a profile of the run.
func TestSimCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	var out, errb bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none", "--seeds", "1", "--cpuprofile", prof}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	fi, err := os.Stat(prof)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no profile written: %v", err)
	}
	var out2, errb2 bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none", "--seeds", "1", "--cpuprofile", filepath.Join(prof, "x")}, &out2, &errb2); code != 1 {
		t.Fatalf("an unwritable profile path: exit %d, want 1", code)
	}
}

// TestSimInterleaveCountsPerClass: --interleave runs the classes
// round-robin and the summary says what each class ran; --for stops a
// sweep that would outlast it.
func TestSimInterleaveCountsPerClass(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none,crash", "--seeds", "2", "--interleave"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"none                2 runs     0 failures  last seed 2", "crash               2 runs     0 failures  last seed 2", "4 runs, 0 failures"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("summary lacks %q:\n%s", want, out.String())
		}
	}
	order := []string{}
	cursors := []*seedCursor{{class: "a"}, {class: "b"}}
	for k := uint64(0); k < 4; k++ {
		order = append(order, string(sweepCursor(cursors, 2, k, true).class))
	}
	if got := strings.Join(order, ","); got != "a,b,a,b" {
		t.Fatalf("interleaved order %s, want a,b,a,b", got)
	}
	order = order[:0]
	for k := uint64(0); k < 4; k++ {
		order = append(order, string(sweepCursor(cursors, 2, k, false).class))
	}
	if got := strings.Join(order, ","); got != "a,a,b,b" {
		t.Fatalf("class-by-class order %s, want a,a,b,b", got)
	}

	out.Reset()
	errb.Reset()
	if code := realMain([]string{"sim", "--class", "none", "--seeds", "1000000", "--for", "1ns"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "0 runs, 0 failures") || !strings.Contains(errb.String(), "time is up") {
		t.Fatalf("--for 1ns should start no seed: %q %q", out.String(), errb.String())
	}
	if code := realMain([]string{"sim", "--for", "-1s"}, &out, &errb); code != 2 {
		t.Fatalf("--for -1s: exit %d, want 2", code)
	}
}

// TestSimHashes: --hashes writes one line per seed with the seed's trace
// hash — the hash sim.RunSeed computes — the same in a second sweep, in
// a file or on stdout; it refuses the modes that run no single seed.
func TestSimHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hashes.txt")
	var out, errb bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none,crash", "--seeds", "2", "--hashes", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, c := range []sim.Class{sim.ClassNone, sim.ClassCrash} {
		for seed := uint64(1); seed <= 2; seed++ {
			writeHash(&want, sim.RunSeed(c, seed, sim.Options{}))
		}
	}
	if string(got) != want.String() {
		t.Fatalf("--hashes file:\n%s\nwant:\n%s", got, want.String())
	}
	if !strings.HasPrefix(string(got), "hash class=none seed=1 trace=") {
		t.Fatalf("--hashes line format: %q", got)
	}
	var out2 bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none,crash", "--seeds", "2", "--hashes", "-"}, &out2, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out2.String(), errb.String())
	}
	if !strings.HasPrefix(out2.String(), string(got)) {
		t.Fatalf("--hashes - printed:\n%s\nwant the file's lines first:\n%s", out2.String(), got)
	}
	for _, args := range [][]string{
		{"sim", "--self-check", "--hashes", "-"},
		{"sim", "--report", "availability", "--hashes", "-"},
	} {
		var o, e bytes.Buffer
		if code := realMain(args, &o, &e); code != 2 || !strings.Contains(e.String(), "--hashes") {
			t.Fatalf("%v: exit %d, stderr %q; want 2 and a --hashes error", args, code, e.String())
		}
	}
	var o, e bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none", "--seeds", "1", "--hashes", filepath.Join(path, "x")}, &o, &e); code != 1 {
		t.Fatalf("an unwritable --hashes path: exit %d, want 1", code)
	}
}

// TestSimReportAvailabilityChildren: --report availability-children
// prints a line per seed and mode (sim.WriteAvailabilityChildren); an
// unknown report is a usage error naming both.
func TestSimReportAvailabilityChildren(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"sim", "--report", "availability-children", "--class", "none", "--seeds", "1"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.HasPrefix(out.String(), "none seed ") || !strings.Contains(out.String(), " strict: running ") {
		t.Fatalf("report:\n%s\nwant a line per mode of a none seed", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := realMain([]string{"sim", "--report", "children"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "availability-children") {
		t.Fatalf("--report children: exit %d, stderr %q; want 2 and the reports named", code, errb.String())
	}
}
