//go:build linux

package core

import "golang.org/x/sys/unix"

// threadCPUNanos returns the CPU time the calling OS thread has used, or
// 0 where the clock is unavailable.
func threadCPUNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
