//go:build unix && !linux

package kinds

import (
	"errors"
	"os/exec"
	"syscall"
)

// startProcess starts cmd. Without a parent-death signal (Linux only), a
// child outlives a node killed with SIGKILL until the node's next boot
// reaps it.
func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

func setParentDeathSignal(*syscall.SysProcAttr) {}

const canWaitNoReap = false

// waitExitedNoReap is not available: killGroup runs after the process is
// reaped.
func waitExitedNoReap(int) {}

type processID struct {
	startTicks uint64
	bootID     string
}

func identify(int) (processID, error) {
	return processID{}, errors.New("process journal: only supported on Linux")
}
