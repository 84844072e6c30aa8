package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSimCmdRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--shard", "2/2"},
		{"--shard", "x"},
		{"--class", "nope"},
		{"--seeds", "0"},
		{"--detector", "gossip"},
		{"--nodes", "1"},
		{"--nodes", "201"},
	} {
		var out, errb bytes.Buffer
		if code := realMain(append([]string{"sim"}, args...), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
}

func TestSimCmdRunsShard(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"sim", "--class", "none", "--seeds", "6", "--shard", "1/3"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "2 runs, 0 failures") {
		t.Fatalf("shard 1/3 of 6 seeds should run 2 seeds: %q", out.String())
	}
}

func TestReplayCmdWritesArtifacts(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := realMain([]string{"replay", "--class", "crash", "--seed", "3", "--out", dir, "--self-check"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"trace.txt", "timeline.html", "identical traces"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q: %s", want, out.String())
		}
	}
	if code := realMain([]string{"replay", "--seed", "3"}, &out, &errb); code != 2 {
		t.Errorf("replay without --class: exit %d, want 2", code)
	}
}

// phubd sim and replay run seeds with the SWIM detector on a chosen
// number of nodes, and a replay with the same flags gives the same trace
// as the sweep's run; the trace differs from the default detector's.
func TestSimCmdRunsSwimDetector(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"sim", "--class", "crash", "--seeds", "1", "--from", "2", "--detector", "swim", "--nodes", "6"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "1 runs, 0 failures") {
		t.Fatalf("want one passing run: %q", out.String())
	}
	trace := func(args ...string) string {
		var out, errb bytes.Buffer
		args = append([]string{"replay", "--class", "crash", "--seed", "2", "--out", t.TempDir()}, args...)
		if code := realMain(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out.String(), errb.String())
		}
		first, _, _ := strings.Cut(out.String(), "\n")
		return first
	}
	swim := trace("--detector", "swim", "--nodes", "6")
	if !strings.Contains(swim, "trace=") || swim == trace() {
		t.Fatalf("replay with --detector swim --nodes 6 gave %q, the default gave the same", swim)
	}
	if again := trace("--detector", "swim", "--nodes", "6"); again != swim {
		t.Fatalf("two replays of the same flags differ: %q vs %q", swim, again)
	}
	if code := realMain([]string{"replay", "--class", "crash", "--seed", "2", "--detector", "nope"}, &out, &errb); code != 2 {
		t.Errorf("replay --detector nope: exit %d, want 2", code)
	}
}
