package phub

import (
	"runtime"
	"testing"
)

// ReportCPUPerOp locks the calling benchmark goroutine to its OS thread
// and returns a function that, called after the b.N operations, reports
// the thread's CPU time per operation as "cpu-ns/op" and unlocks it. On a
// loaded machine ns/op also counts the time other processes ran while the
// benchmark waited for a core; cpu-ns/op does not (only the cache misses
// they cause), so before/after comparisons under load use it. Call it
// after the setup, right after b.ResetTimer; nothing is reported where
// the thread's CPU clock cannot be read.
func ReportCPUPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	c0 := threadCPUNanos()
	return func() {
		if c1 := threadCPUNanos(); c0 != 0 && c1 != 0 {
			b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}
