package bench

import (
	"testing"

	"github.com/phub/phub/core"
)

// TestRedistributionReachesTheRing runs the redistribution figure's
// measurement with 1,000 children, cold and hot swap: over TCP, every
// registry comes to place every child on its ring node, and the join's
// traffic is counted (the exact counts are asserted in core,
// TestJoinSendsTheRegistryOnce; over TCP a loaded machine adds retries).
func TestRedistributionReachesTheRing(t *testing.T) {
	if testing.Short() {
		t.Skip("a 4-node TCP cluster")
	}
	for _, mode := range []struct {
		name string
		tune func(*core.Config)
	}{{"cold", nil}, {"hot", hotSwap}} {
		t.Run(mode.name, func(t *testing.T) {
			m, err := redistribution(1000, 0, mode.tune)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v, CPU %v, %.2f entries per child, %d full syncs with entries, %d messages", m.wall, m.cpu, m.entriesPerChild, m.fullSyncs, m.messages)
			if m.fullSyncs < 1 || m.entriesPerChild < 1 {
				t.Errorf("%d full syncs, %.2f entries per child: the joiner got no registry", m.fullSyncs, m.entriesPerChild)
			}
		})
	}
}
