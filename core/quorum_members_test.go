package core

import (
	"testing"
	"time"
)

// majorityEnv starts n nodes with a majority quorum of initial size n,
// forms them and lets their heartbeats establish every member.
func majorityEnv(t *testing.T, n int, detector DetectorKind) *testEnv {
	t.Helper()
	e := newTestEnv()
	e.tune = func(c *Config) {
		c.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: n, TrackMaxSize: true}
		c.Membership.Detector = detector
	}
	for i := 1; i <= n; i++ {
		if err := e.addNode(NodeID("n"+string(rune('0'+i))), 1); err != nil {
			t.Fatal(err)
		}
	}
	e.f = newFilter(nil, nil)
	if _, err := e.run(time.Minute, true, e.formed); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run(500*time.Millisecond, true, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// ResetClusterSize is a planned downsize: the members down at the reset
// no longer count, so a node left alone serves after a reset to 1.
func TestResetClusterSizeForgetsDownMembers(t *testing.T) {
	e := majorityEnv(t, 3, AllToAll)
	n1 := e.nodes["n1"]
	if n1.Partitioned() {
		t.Fatal("n1 partitioned in a formed cluster of 3")
	}
	for _, p := range []NodeID{"n2", "n3"} {
		e.cut[[2]NodeID{"n1", p}], e.cut[[2]NodeID{p, "n1"}] = true, true
	}
	if _, err := e.run(time.Second, true, nil); err != nil {
		t.Fatal(err)
	}
	if !n1.Partitioned() {
		t.Fatal("n1 alone is not partitioned")
	}
	n1.ResetClusterSize(e.now, 1)
	if n1.Partitioned() {
		alive, known := n1.quorumCount()
		t.Fatalf("n1 still partitioned after ResetClusterSize(1): alive %d, known %d, max-seen %d, established %v",
			alive, known, n1.quorum.maxSeen, n1.quorum.members.est)
	}
}

// A member that joins is established by both failure detectors' messages
// (all-to-all heartbeats carry member lists; SWIM pings carry a table
// digest, acks the whole table when digests differ), so after a crash the
// others still hold a majority of the four members they know.
func TestJoinerEstablishedWithEitherDetector(t *testing.T) {
	for _, det := range []DetectorKind{AllToAll, Swim} {
		t.Run(string(det), func(t *testing.T) {
			e := majorityEnv(t, 3, det)
			if err := e.addNode("n4", 1); err != nil {
				t.Fatal(err)
			}
			if _, err := e.run(2*time.Second, true, nil); err != nil {
				t.Fatal(err)
			}
			for _, name := range []NodeID{"n1", "n2", "n3", "n4"} {
				if est := e.nodes[name].quorum.members.est; len(est) != 4 {
					t.Fatalf("%s established %v, want all four", name, est)
				}
			}
			e.nodes["n1"], e.open["n1"] = nil, nil // crash
			if _, err := e.run(3*time.Second, true, nil); err != nil {
				t.Fatal(err)
			}
			for _, name := range []NodeID{"n2", "n3", "n4"} {
				n := e.nodes[name]
				if alive, known := n.quorumCount(); n.Partitioned() || alive != 3 || known != 4 {
					t.Errorf("%s: partitioned %v with %d alive of %d known, want a majority: 3 of 4", name, n.Partitioned(), alive, known)
				}
			}
		})
	}
}
