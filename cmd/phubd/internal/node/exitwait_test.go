package node

import (
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// TestExitWaitCoversTheExecGrace: a move's new holder waits for the old
// exec process at least its grace plus a margin, whatever is configured.
func TestExitWaitCoversTheExecGrace(t *testing.T) {
	for _, c := range []struct{ configured, grace, want time.Duration }{
		{0, 0, core.DefaultExitWait},                      // defaults: 10 s ≥ 5 s + 2 s
		{0, 30 * time.Second, 32 * time.Second},           // a long grace raises it
		{20 * time.Second, time.Second, 20 * time.Second}, // a longer configured wait stays
		{time.Second, time.Second, 3 * time.Second},       // never below grace + 2 s
	} {
		if got := exitWaitFor(c.configured, c.grace); got != c.want {
			t.Errorf("exitWaitFor(%v, %v) = %v, want %v", c.configured, c.grace, got, c.want)
		}
	}
}
