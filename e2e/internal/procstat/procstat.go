// Package procstat reads what the end-to-end tests need from /proc about
// a process: whether it is already dying. Both e2e samplers (the strict
// tests' and netfault's) count child processes, and a process with
// SIGKILL pending executes no instruction of its own again: counting it
// as running reports a duplicate or an orphan that cannot act.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// KillPending reports whether pid has SIGKILL pending: it is dying and
// executes no instruction of its own again. A process that cannot be
// read (gone, or not ours to read) reports false.
func KillPending(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return SigkillPending(string(b))
}

// SigkillPending reports whether a /proc/<pid>/status text shows SIGKILL
// (signal 9: bit 8 of the hexadecimal masks) pending for the thread
// (SigPnd) or the process (ShdPnd).
func SigkillPending(status string) bool {
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "SigPnd" && k != "ShdPnd") {
			continue
		}
		if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && mask&(1<<(uint(syscall.SIGKILL)-1)) != 0 {
			return true
		}
	}
	return false
}
