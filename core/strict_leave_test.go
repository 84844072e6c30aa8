package core

import (
	"testing"
	"time"
)

// TestStrictLeaveReleasesLeases: a node leaving gracefully releases its
// children's leases once they are gone, so the child runs again elsewhere
// within a few rounds, not after the voters' hold of the lease (L = 900 ms
// here; before the release round the gap was ≈ L). Never two at once: the
// overlap check runs every tick.
func TestStrictLeaveReleasesLeases(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1.01, "c": 0.99})
	w.run(time.Second)
	h := w.startOne("a", "x")
	n := w.nodes[h]
	n.SetMono(w.mono(h))
	n.Leave(w.now)
	w.drain(h)
	var stopped Instant
	for deadline := w.now.Add(5 * time.Second); w.now < deadline; w.step() {
		if stopped == 0 && len(w.where("x")) == 0 {
			stopped = w.now
		}
		if got := w.where("x"); stopped != 0 && len(got) == 1 {
			if got[0] == h {
				t.Fatalf("x runs again on %s, which left", h)
			}
			gap := w.now.Sub(stopped)
			lease := n.Config().Partition.Lease
			t.Logf("x stopped on %s and ran on %s %v later (lease %v)", h, got[0], gap, lease)
			if gap > lease/3 {
				t.Fatalf("failover gap after a graceful leave %v, want well below the lease %v (a release round)", gap, lease)
			}
			if !n.Left() {
				t.Fatalf("%s has not left though its child runs elsewhere", h)
			}
			return
		}
	}
	t.Fatalf("x did not run again within 5s of %s's leave (stopped at %v)", h, stopped)
}
