//go:build !unix

package kinds

import (
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
