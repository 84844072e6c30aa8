//go:build linux

package kinds_test

import "runtime"

// lockAndExit returns from a goroutine locked to its thread, which makes
// the Go runtime end that thread.
func lockAndExit() { runtime.LockOSThread() }
