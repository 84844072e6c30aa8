//go:build linux

package kinds_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/kinds"
)

// TestMain lets the test binary run as a fence guard (StartFenceGuard
// re-executes it with kinds.FenceGuardArg).
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == kinds.FenceGuardArg {
		parent := 0
		for _, c := range os.Args[2] {
			parent = parent*10 + int(c-'0')
		}
		if err := kinds.RunFenceGuard(os.Stdin, parent, os.Stderr); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFenceGuardKillsAtTheDeadline: the guard, a separate process, kills
// the process group of this process's child when the deadline it was
// given passes, and not before; a renewal moves the kill.
func TestFenceGuardKillsAtTheDeadline(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	g, err := kinds.StartFenceGuard(exe, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	cmd := exec.Command("sleep", "600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan time.Time, 1)
	go func() { _ = cmd.Wait(); exited <- time.Now() }()
	defer cmd.Process.Kill()

	// The renewal must reach the guard before the first deadline: with
	// 300 ms and the renewal at 100 ms, a guard starved at load 30 read it
	// too late and killed at the first deadline (session 5, go test ./...
	// under load); 3 s leaves it 2.9 s.
	const first = 3 * time.Second
	g.LeaseUntil(phub.MonoNow().Add(first)) // the process is not told of: it follows the node's deadline
	time.Sleep(first / 30)                  // pacing: renew well before the first deadline
	renewed := time.Now()
	deadline := phub.MonoNow().Add(first)
	g.LeaseUntil(deadline)
	select {
	case at := <-exited:
		if early := time.Duration(deadline - phub.MonoNow()); at.Sub(renewed) < first-5*time.Millisecond {
			t.Fatalf("killed %v after the renewal, %v before its deadline", at.Sub(renewed), early)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the guard did not kill the child within 30 s of its deadline")
	}
	if err := g.Err(); err != nil {
		t.Fatalf("guard: %v", err)
	}
}
