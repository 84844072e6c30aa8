package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayMatchesSweep(t *testing.T) {
	for _, class := range []Class{ClassCrash, ClassPartition} {
		seed := uint64(7)
		want := RunSeed(class, seed, Options{})
		dir := t.TempDir()
		rep, err := Replay(class, seed, dir)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Hash != want.Hash || rep.Result.Hash != want.Hash {
			t.Fatalf("%s seed %d: replay hash %016x, sweep hash %016x", class, seed, rep.Hash, want.Hash)
		}
		trace, err := os.ReadFile(filepath.Join(dir, "trace.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if traceHashOf(trace) != want.Hash {
			t.Fatalf("trace.txt hashes to %016x, want %016x", traceHashOf(trace), want.Hash)
		}
		if len(rep.Paths) < 2 || !strings.HasSuffix(rep.Paths[1], "timeline.html") {
			t.Fatalf("paths %v", rep.Paths)
		}
		t.Logf("%s", rep)
	}
}

func TestSelfCheck(t *testing.T) {
	for _, class := range []Class{ClassMix, ClassMessages} {
		ok, diff := SelfCheck(class, 3)
		if !ok {
			t.Fatalf("%s seed 3 is not deterministic: %s", class, diff)
		}
	}
	// The diff can fail: two different seeds differ, and the first
	// differing line is reported with both versions.
	var a, b bytes.Buffer
	RunSeed(ClassCrash, 1, Options{Trace: &a})
	RunSeed(ClassCrash, 2, Options{Trace: &b})
	diff := FirstTraceDiff(a.Bytes(), b.Bytes())
	if !strings.HasPrefix(diff, "line ") || !strings.Contains(diff, "run 1: ") || !strings.Contains(diff, "run 2: ") {
		t.Fatalf("diff of two seeds: %q", diff)
	}
	t.Logf("seed 1 vs seed 2: %s", diff)
	if d := FirstTraceDiff([]byte("1 a\n2 b\n"), []byte("1 a\n2 c\n3 d\n")); d != "line 2:\n  run 1: 2 b\n  run 2: 2 c" {
		t.Fatalf("diff %q", d)
	}
	if d := FirstTraceDiff([]byte("1 a\n"), []byte("1 a\n2 c\n")); d != "line 2:\n  run 1: <end of trace>\n  run 2: 2 c" {
		t.Fatalf("diff %q", d)
	}
}
