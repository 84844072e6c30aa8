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
	if _, known := n.quorumCount(); known != 3 || n.quorum.majorityOf() != 3 {
		t.Fatalf("fresh node: known %d, measured against %d; want 3 (itself, n2, 10.0.0.3:7946)", known, n.quorum.majorityOf())
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
}

// A list identifies a seed it names alive only once the seed's member is
// in the table (the list's merge puts it there): identified before, it
// would count nowhere in between.
func TestListedSeedIdentifiedThroughTheTable(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 1
	cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 1, TrackMaxSize: true}
	cfg.Seeds = []NodeID{"n2", "10.0.0.3:7946"}
	n, err := NewNode(cfg, Instant(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n.noteMemberReport("n5", []Member{{Name: "n5", Incarnation: 1, Status: StatusAlive}, {Name: "n3", Incarnation: 1, Status: StatusAlive, Addr: "10.0.0.3:7946"}})
	if got := n.unmetSeeds(); got != 2 {
		t.Fatalf("a list naming n3 alive, n3 not in the table: %d seeds unidentified, want 2", got)
	}
	n.members.merge(Member{Name: "n3", Incarnation: 1, Status: StatusAlive, Addr: "10.0.0.3:7946"}, Instant(time.Hour))
	if got := n.unmetSeeds(); got != 1 {
		t.Fatalf("n3 merged into the table: %d seeds unidentified, want 1 (n2)", got)
	}
}

// A member heard before its address (a message without its member
// record) is counted by name and its address seed once more until the
// address arrives: the judgement counts both, max-seen keeps neither.
// On real phubd processes node-3 (seeds: node-1's and node-2's addresses)
// held max-seen 4 for good and, when node-1 crashed, refused every request
// with two alive of "four" while node-2 served
// (e2e TestMajorityQuorumMemorylessPairStaysPartitioned).
func TestSeedCountedTwiceDoesNotStayInMaxSeen(t *testing.T) {
	cfg := DefaultConfig("n3")
	cfg.Incarnation = 1
	cfg.AdvertiseAddr = "10.0.0.3:7946"
	cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 3, TrackMaxSize: true}
	cfg.Seeds = []NodeID{"10.0.0.1:7946", "10.0.0.2:7946"}
	n, err := NewNode(cfg, Instant(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	now := Instant(time.Hour + time.Second)
	tr, ok := n.members.heard("n2", 1, nil, now)
	if !ok {
		t.Fatal("n2 not heard")
	}
	n.onMemberTransition(tr)
	if _, known := n.quorumCount(); known != 4 {
		t.Fatalf("n2 in the table without its address: known %d, want 4 (n3, n2, and both address seeds)", known)
	}
	rec := Member{Name: "n2", Incarnation: 1, Status: StatusAlive, Addr: "10.0.0.2:7946"}
	if _, ok := n.members.heard("n2", 1, &rec, now); !ok {
		t.Fatal("n2 not heard")
	}
	n.updateQuorum("up", "n2")
	if _, known := n.quorumCount(); known != 3 || n.quorum.maxSeen != 3 || n.quorum.majorityOf() != 3 {
		t.Fatalf("n2's address known: known %d, max-seen %d, measured against %d; want 3 each", known, n.quorum.maxSeen, n.quorum.majorityOf())
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

// A node restored from disk knows its cluster from its persisted view and
// counts no seed on top of it: IP:port seeds cannot be told from the view
// members they name (the view holds names) until those are heard, and
// counting both counted 7 members for a cluster of 4. A
// node without a membership still counts them: one booted after losing
// its disk, or restored from a snapshot with an empty view.
func TestRestoredNodeCountsItsViewNotItsSeeds(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 2
	cfg.AdvertiseAddr = "10.0.0.1:7946"
	cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 1, TrackMaxSize: true}
	cfg.Seeds = []NodeID{"10.0.0.2:7946", "10.0.0.3:7946", "10.0.0.4:7946"}
	now := Instant(time.Hour)
	for _, tc := range []struct {
		name string
		view []NodeID
		lost bool
		want int
	}{
		{"restored with a view", []NodeID{"n2", "n3", "n4"}, false, 4},
		{"restored with an empty view", nil, false, 4},
		{"disk lost", nil, true, 4},
	} {
		var n *Node
		var err error
		if tc.lost {
			n, err = NewNodeLostState(cfg, now)
		} else {
			snap := NewSnapshot()
			snap.Incarnation, snap.View = 1, tc.view
			n, err = NewNodeFromSnapshot(cfg, now, snap)
		}
		if err != nil {
			t.Fatal(err)
		}
		n.updateQuorum("init", "n1")
		if _, known := n.quorumCount(); known != tc.want {
			t.Errorf("%s: known %d (seeds included), want %d", tc.name, known, tc.want)
		}
	}
	cfg.Broken.QuorumSeedsOverRestoredView = true
	snap := NewSnapshot()
	snap.Incarnation, snap.View = 1, []NodeID{"n2", "n3", "n4"}
	n, err := NewNodeFromSnapshot(cfg, now, snap)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := n.quorumCount(); known != 7 {
		t.Errorf("QuorumSeedsOverRestoredView: known %d, want 7 (each peer twice)", known)
	}
}
