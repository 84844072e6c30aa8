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
