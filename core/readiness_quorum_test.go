package core

import (
	"testing"
	"time"
)

// TestReadinessShowsQuorumCounts: with MajorityQuorum, Readiness reports
// the alive members a node counts toward quorum and the membership it
// measures them against, so an operator (or a test) can see that a
// member is established before relying on it: in a formed cluster of 3
// every node counts 3 of 3, and n1 cut off from the others counts itself
// alone of 3, partitioned. Other strategies report zeros.
func TestReadinessShowsQuorumCounts(t *testing.T) {
	e := majorityEnv(t, 3, AllToAll)
	for _, name := range []NodeID{"n1", "n2", "n3"} {
		r := e.nodes[name].Readiness()
		if r.QuorumAlive != 3 || r.QuorumKnown != 3 || r.Partitioned {
			t.Fatalf("%s in a formed cluster of 3: %+v, want 3 of 3 counted", name, r)
		}
	}
	for _, p := range []NodeID{"n2", "n3"} {
		e.cut[[2]NodeID{"n1", p}], e.cut[[2]NodeID{p, "n1"}] = true, true
	}
	if _, err := e.run(time.Second, true, nil); err != nil {
		t.Fatal(err)
	}
	if r := e.nodes["n1"].Readiness(); r.QuorumAlive != 1 || r.QuorumKnown != 3 || !r.Partitioned {
		t.Fatalf("n1 cut off: %+v, want 1 of 3 counted and partitioned", r)
	}
	if r := e.nodes["n2"].Readiness(); r.QuorumAlive != 2 || r.QuorumKnown != 3 || r.Partitioned {
		t.Fatalf("n2 with n3: %+v, want 2 of 3 counted, not partitioned", r)
	}

	d := newLockstep(t, 3, nil) // divergence: no quorum counted
	if r := d.nodes["n1"].Readiness(); r.QuorumAlive != 0 || r.QuorumKnown != 0 {
		t.Fatalf("divergence: %+v, want no quorum counts", r)
	}
}
