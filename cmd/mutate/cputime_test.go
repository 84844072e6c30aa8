package main

import (
	"os/exec"
	"testing"
	"time"
)

// TestStageBoundIsCPUTime: where CPU time can be read, a stage is bounded
// by the CPU time of its whole process group, not by wall time: a command
// that waits longer than the bound without computing finishes, and one
// whose grandchild (as go test runs a test binary) loops is ended once
// the group has used the bound — on an idle or a loaded machine alike,
// only the wall time that takes differs.
func TestStageBoundIsCPUTime(t *testing.T) {
	if !cpuClock {
		t.Skip("no process-group CPU time here: stages are bounded by wall time")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	r := &runner{}
	b := bounds{wall: 10 * time.Minute, cpu: time.Second}
	out, end, _, err := r.command(b, t.TempDir(), nil, "", "sh", "-c", "sleep 2; echo slept")
	if err != nil || end != finished || string(out) != "slept\n" {
		t.Fatalf("sleeping 2 s under a 1 s CPU bound: %v, ended %d, output %q; want it to finish", err, end, out)
	}
	start := time.Now()
	_, end, _, _ = r.command(b, t.TempDir(), nil, "", "sh", "-c", "sh -c 'while :; do :; done'; echo never")
	if end != overCPU {
		t.Fatalf("a looping grandchild ended %d after %s, want over its CPU bound", end, time.Since(start))
	}
	if got := timeoutDetail(b, end); got != "timeout after 1s of CPU" {
		t.Errorf("detail %q", got)
	}
	// The wall bound still holds for what uses no CPU.
	_, end, _, _ = r.command(bounds{wall: time.Second, cpu: time.Hour}, t.TempDir(), nil, "", "sh", "-c", "sleep 30")
	if end != overWall {
		t.Fatalf("sleeping 30 s under a 1 s wall bound ended %d, want over its wall bound", end)
	}
}
