package phub

import (
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// TestMonoNowMatchesTheSystemClock: MonoNow, read from Go's clock with a
// calibrated offset, lies between the system calls around it, lowered by
// at most the calibration's bracket — never later than the system clock,
// so a deadline computed from it is never later than the fence guard's.
func TestMonoNowMatchesTheSystemClock(t *testing.T) {
	if monoBracket < 0 || monoBracket > core.Mono(time.Millisecond) {
		t.Fatalf("calibration bracket %v", time.Duration(monoBracket))
	}
	for i := 0; i < 1000; i++ {
		before := core.Mono(monoNanos())
		m := MonoNow()
		after := core.Mono(monoNanos())
		if m > after {
			t.Fatalf("MonoNow %d is %v later than the system clock read after it", m, time.Duration(m-after))
		}
		if m < before-monoBracket {
			t.Fatalf("MonoNow %d is %v below the system clock read before it (bracket %v)", m, time.Duration(before-m), time.Duration(monoBracket))
		}
	}
}
