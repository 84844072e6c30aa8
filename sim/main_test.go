package sim

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the package's tests with the garbage collector at 400%
// (unless GOGC is set): the simulator allocates many short-lived objects
// and its heap stays small, so the default 100% spent about a third of
// the CPU in the collector (PHUB_SEEDS=12 TestSweep: 15.8 → 10.3 CPU
// seconds, peak RSS 25 → 53 MB).
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}
