package core

import (
	"fmt"
	"testing"
	"time"
)

// TestRecoveryExpiresTombstonesOnTheGrid: a node recovering from its disk
// judges a tombstone expired by the grid rule (tombstone_grid.go), as the
// same node judges one arriving from a peer (applyEntries) and as its
// collection does. TTL 10 s, grid 3 s, recovery at 1001 s: the cutoff is
// 990 s while now − TTL is 991 s. A tombstone (epoch 12, floor on disk 7)
// stopped at 990 s or 990.5 s is past the TTL but not below the cutoff:
// the old rule (now − StoppedAt > TTL) raised the floor to 12 at boot
// while the node kept the tombstone uncollected through the whole grid
// cell and the same version from a peer raised nothing — a recovered node
// started fresh children above 12 where its peers started them at 8,
// until a digest carried its floor.
func TestRecoveryExpiresTombstonesOnTheGrid(t *testing.T) {
	const ttl, grid = 10 * time.Second, 3 * time.Second
	s := Instant(time.Second)
	now := 1001 * s
	config := func(name NodeID) Config {
		cfg := DefaultConfig(name)
		fastTiming(&cfg)
		cfg.Timing.TombstoneTTL = ttl
		cfg.Sync.Interval = grid
		cfg.Incarnation = 2
		cfg.RandSeed = 1
		cfg.CheckInvariants = true
		return cfg
	}
	for _, tc := range []struct {
		stoppedAt Instant
		expired   bool
	}{
		{989 * s, true}, {990*s - 1, true}, {990 * s, false}, {990*s + s/2, false}, {991 * s, false}, {992 * s, false},
	} {
		t.Run(fmt.Sprint(time.Duration(tc.stoppedAt)), func(t *testing.T) {
			gone := Entry{Spec: ChildSpec{ID: "gone"}, Epoch: 12, Stopped: true, StoppedAt: tc.stoppedAt, Holder: "n1", By: "n1"}
			snap := NewSnapshot()
			snap.Incarnation, snap.EpochFloor = 1, 7
			snap.Entries["gone"] = gone
			n, err := NewNodeFromSnapshot(config("n1"), now, snap)
			if err != nil {
				t.Fatal(err)
			}
			want := uint64(7)
			if tc.expired {
				want = 12
			}
			if f := n.EpochFloor(); f != want {
				t.Errorf("recovered floor %d, want %d (tombstone expired on the grid: %v)", f, want, tc.expired)
			}

			// The same version arriving from a peer at the same instant.
			cfg := config("n3")
			cfg.Durable = true
			peer, err := NewNode(cfg, now)
			if err != nil {
				t.Fatal(err)
			}
			peer.reg.epochFloor = 7
			peer.applyEntries("n2", []Entry{gone})
			if f := peer.EpochFloor(); f != n.EpochFloor() {
				t.Errorf("recovery raised the floor to %d, the same tombstone from a peer to %d", n.EpochFloor(), f)
			}

			// The recovered node, alone and ready, collects within the
			// same grid cell exactly the tombstone it judged expired.
			at := now
			for i := 0; i < 50; i++ { // 500 ms: the cutoff stays 990 s
				n.Ready()
				at = at.Add(10 * time.Millisecond)
				n.Tick(at)
			}
			n.Ready()
			if n.tombstoneCutoff() != 990*s {
				t.Fatalf("cutoff moved to %v", time.Duration(n.tombstoneCutoff()))
			}
			if !n.ready() {
				t.Fatal("the lone recovered node is not ready after 500 ms: collection was never allowed")
			}
			if _, _, held := n.reg.tombstone("gone"); held == tc.expired {
				t.Errorf("tombstone held %v after 500 ms alone, but recovery judged it expired: %v", held, tc.expired)
			}
		})
	}
}
