package bench

import (
	"sort"
	"testing"
)

// TestRegistryMemoryPerEntry holds the README's registry memory figure: a
// node holding 100,000 replicated entries and their claims retains at most
// 110 bytes per entry (median of three readings; heap bytes do not depend
// on the machine's load): 98.7 B since an entry and its claim share a slot
// (core/slots.go), 141.7 B before; the README's target is 150 B.
func TestRegistryMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-entry registry three times")
	}
	var got []float64
	for i := 0; i < 3; i++ {
		got = append(got, registryBytesPerEntry(100000))
	}
	sort.Float64s(got)
	if got[1] < 0 || got[1] > 110 {
		t.Fatalf("registry memory per entry per node: %.1f B (readings %v), want ≤ 110 B", got[1], got)
	}
	t.Logf("registry memory per entry per node: %.1f B (readings %v)", got[1], got)
}

// TestRegistryMemoryAboveOneMessage: a registry larger than one message
// may carry (Limits.MaxBatch items) is fed in parts and measured; the
// measurement once fed it in one message, which the node refused, and
// reported -1 B per entry at a million children. Go's maps grow by
// doubling, so the bytes per entry depend on where a size sits in a
// growth step, and 250,000 sits low (its tables just split): 217 B when
// an entry map and a claim map per node held the registry, 119.8 B since
// one id map numbers slots that hold an entry and its claim
// (core/slots.go; 129.3 B at a million). The bound, 135 B, is under the
// README's 150 B target.
func TestRegistryMemoryAboveOneMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 250,000-entry registry")
	}
	got := registryBytesPerEntry(250000)
	if got <= 0 || got > 135 {
		t.Fatalf("registry memory per entry per node at 250,000 entries: %.1f B, want a reading in (0, 135]", got)
	}
	t.Logf("registry memory per entry per node at 250,000 entries: %.1f B", got)
}
