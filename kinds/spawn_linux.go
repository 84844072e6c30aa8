//go:build linux

package kinds

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Linux ties the parent-death signal to the thread that forked the child,
// not to the process: a Go program forks from whatever thread runs the
// goroutine, and the runtime may end threads. Every exec child is
// therefore forked from one goroutine locked to its OS thread for the
// life of the process, and its parent-death signal fires only when the
// whole node dies (crash or kill -9).

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce     sync.Once
	spawnRequests chan spawnRequest
)

// startProcess starts cmd from the spawner thread.
func startProcess(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnRequests = make(chan spawnRequest)
		go spawnLoop()
	})
	req := spawnRequest{cmd: cmd, done: make(chan error, 1)}
	spawnRequests <- req
	return <-req.done
}

// spawnLoop never returns and never unlocks its thread, so the thread
// lives as long as the process.
func spawnLoop() {
	runtime.LockOSThread()
	for req := range spawnRequests {
		req.done <- req.cmd.Start()
	}
}

// setParentDeathSignal makes the kernel SIGKILL the child when the thread
// that forked it (the spawner, which lives as long as the node) exits. Go
// checks after setting it that the parent is still alive, so a node dying
// during the fork does not leave the child running.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}

// canWaitNoReap: waitExitedNoReap works here.
const canWaitNoReap = true

// waitExitedNoReap blocks until pid has exited, leaving it a zombie for
// cmd.Wait to reap (waitid with WNOWAIT): while it is a zombie its pid,
// which is also its process group id, cannot be reused.
func waitExitedNoReap(pid int) {
	const pPID = 1
	const wNOWAIT = 0x01000000
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])),
			syscall.WEXITED|wNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			return
		}
	}
}
