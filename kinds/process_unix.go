//go:build unix

package kinds

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs the process in its own group, so signals reach the
// processes it spawns, and (on Linux) asks the kernel to kill it when the
// node dies.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

// terminate sends SIGTERM to the process group; exec.Cmd sends SIGKILL to
// the process after WaitDelay.
func terminate(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
}

// killGroup kills the process group at once.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// waitAndKillGroup waits for the process, kills what is left of its
// process group and reaps the process. Where the OS allows (Linux), the
// group is killed before the process is reaped, so its pid (the group id)
// cannot have been reused by then.
func waitAndKillGroup(cmd *exec.Cmd) error {
	if canWaitNoReap {
		waitExitedNoReap(cmd.Process.Pid)
		killGroup(cmd)
		return cmd.Wait()
	}
	err := cmd.Wait()
	killGroup(cmd)
	return err
}
