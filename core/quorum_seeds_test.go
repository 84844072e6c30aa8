package core

import (
	"testing"
	"time"
)

// Only seeds core can tell apart from members count: node names and IP
// addresses with port; a "dns:" seed or a host name does not.
func TestCountableSeed(t *testing.T) {
	for s, want := range map[NodeID]bool{
		"n2": true, "10.0.0.3:7946": true, "[fd00::3]:7946": true,
		"dns:phub.ns.svc:7946": false, "phub-1.phub:7946": false, "": false, "10.0.0.3": true,
	} {
		if got := countableSeed(s); got != want {
			t.Errorf("countableSeed(%q) = %v, want %v", s, got, want)
		}
	}
}

// A majority-quorum node counts every configured seed it has not
// identified as a member it knows — not itself, not a seed it cannot
// identify — and a seed once identified (by a member list, as a name or
// an address, whatever its status there) never again.
func TestUnidentifiedSeedsCountAsKnown(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 1
	cfg.AdvertiseAddr = "10.0.0.1:7946"
	cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 1, TrackMaxSize: true}
	cfg.Seeds = []NodeID{"n1", "10.0.0.1:7946", "n2", "10.0.0.3:7946", "dns:phub:7946", "phub-4:7946"}
	n, err := NewNode(cfg, Instant(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, known := n.quorumCount(); known != 3 || n.quorum.maxSeen != 3 {
		t.Fatalf("fresh node: known %d, max-seen %d; want 3 (itself, n2, 10.0.0.3:7946)", known, n.quorum.maxSeen)
	}
	if !n.Partitioned() {
		t.Fatal("a fresh node alone with two countable seeds is not partitioned")
	}
	// n5's list names the address seed's member as left: it is identified.
	n.noteMemberReport("n5", []Member{{Name: "n5", Incarnation: 1, Status: StatusAlive}, {Name: "n3", Incarnation: 1, Status: StatusLeft, Addr: "10.0.0.3:7946"}})
	if got := n.unmetSeeds(); got != 1 {
		t.Fatalf("after a list identifying 10.0.0.3:7946: %d seeds unidentified, want 1 (n2)", got)
	}
	// n2 reports itself: identified for good.
	n.noteMemberReport("n2", []Member{{Name: "n2", Incarnation: 1, Status: StatusAlive}})
	if got := n.unmetSeeds(); got != 0 {
		t.Fatalf("after n2's own list: %d seeds unidentified, want 0", got)
	}
	if !n.quorum.members.seeds.done {
		t.Fatal("every countable seed identified, but the node still scans lists for them")
	}
	if n.quorum.maxSeen < 3 {
		t.Fatalf("max-seen dropped to %d when the seeds were identified", n.quorum.maxSeen)
	}
}

// Broken.QuorumIgnoresSeeds (the rule before quorum_seeds.go) leaves
// the seeds out.
func TestSeedsNotCountedWhenIgnored(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 1
	cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 1, TrackMaxSize: true}
	cfg.Seeds = []NodeID{"n2", "n3"}
	cfg.Broken.QuorumIgnoresSeeds = true
	n, err := NewNode(cfg, Instant(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, known := n.quorumCount(); known != 1 {
		t.Fatalf("QuorumIgnoresSeeds: known %d, want 1", known)
	}
}

// ResetClusterSize dismisses the seeds not identified by then: a stale
// seed list does not hold max-seen above the planned size.
func TestResetClusterSizeDismissesUnidentifiedSeeds(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 1
	cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 1, TrackMaxSize: true}
	cfg.Seeds = []NodeID{"n2", "n3"}
	n, err := NewNode(cfg, Instant(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, known := n.quorumCount(); known != 3 {
		t.Fatalf("before the reset: known %d, want 3", known)
	}
	n.ResetClusterSize(Instant(time.Hour+time.Second), 1)
	if alive, known := n.quorumCount(); known != 1 || n.Partitioned() {
		t.Fatalf("after ResetClusterSize(1): %d alive of %d known, partitioned %v; want 1 of 1, serving", alive, known, n.Partitioned())
	}
}
