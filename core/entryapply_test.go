package core

import (
	"testing"

	"pgregory.net/rapid"
)

// TestRegistryTakesAgreesWithPut: for any registry state and any offered
// version, takes says true exactly when put stores the version.
func TestRegistryTakesAgreesWithPut(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newRegistry()
		r.ignoreEpochs = rapid.IntRange(0, 9).Draw(t, "ignoreEpochs") == 0
		ids := []ChildID{"x", "y"}
		bys := []NodeID{"a", "b"}
		for step := range rapid.IntRange(1, 40).Draw(t, "steps") {
			id := rapid.SampledFrom(ids).Draw(t, "id")
			if rapid.IntRange(0, 7).Draw(t, "remove") == 0 {
				r.remove(id)
				continue
			}
			e := &Entry{Spec: ChildSpec{ID: id, Kind: "k"}, Epoch: uint64(rapid.IntRange(0, 3).Draw(t, "epoch")),
				Stopped: rapid.Bool().Draw(t, "stopped"), By: rapid.SampledFrom(bys).Draw(t, "by")}
			if e.Stopped {
				e.StoppedAt = Instant(step)
			}
			takes := r.takes(e)
			if put := r.put(e); put != takes {
				t.Fatalf("step %d: takes(%+v) = %v, put = %v", step, e, takes, put)
			}
		}
	})
}
