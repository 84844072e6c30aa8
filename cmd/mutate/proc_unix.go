//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// killGroup makes a timed-out go test take its test binaries with it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
