//go:build !unix

package kinds

import (
	"errors"
	"os"
	"os/exec"
)

func setProcessGroup(*exec.Cmd) {}

// terminate asks the process to stop; exec.Cmd kills it after WaitDelay.
func terminate(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Signal(os.Interrupt)
}

func killGroup(*exec.Cmd) {}

func waitAndKillGroup(cmd *exec.Cmd) error { return cmd.Wait() }

func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

type processID struct {
	startTicks uint64
	bootID     string
}

func identify(int) (processID, error) {
	return processID{}, errors.New("process journal: not supported on this OS")
}
