package core

// Tombstones expire on a grid shared by every node, so that two nodes
// hold the same tombstones whenever they compare registry digests.
//
// A tombstone is collectable once its StoppedAt (the stamp written with
// the tombstone and replicated with it, not a local time) lies below the
// cutoff floor((now − TombstoneTTL) / G)·G, with G = Sync.Interval. The
// cutoff moves in steps of G, so nodes whose clocks agree compute the
// same cutoff anywhere within one grid cell. Each node collects up to its
// cutoff at every tick (so all nodes collect at the grid line, one tick
// apart at most), and again before it sends its anti-entropy digest and
// before it compares a digest it received (step.go); and an arriving tombstone below the
// cutoff counts as already collected (applyEntries): sender and receiver
// in the same cell then hold the same tombstones, and steady churn no
// longer makes every digest mismatch (each node used to collect at its
// own round, so two nodes almost always held different sets of expired
// tombstones and answered with a whole-registry exchange:
// TestSteadyChurnKeepsDigestsEqual). A digest that crosses a grid line in
// flight can still mismatch once.
//
// A tombstone therefore lives at least TombstoneTTL and at most
// TombstoneTTL + G + one tick after StoppedAt (while collection is
// allowed: tombstone_gc.go). Collection walks the tombstones in StoppedAt
// order (tombstone_queue.go), so calling it at every tick costs O(1) when
// nothing expired and only what it collects otherwise.

// tombstoneCutoff returns the current grid cutoff: tombstones stopped
// before it are expired.
func (n *Node) tombstoneCutoff() Instant {
	c := n.now.Add(-n.cfg.Timing.TombstoneTTL)
	g := Instant(n.cfg.Sync.Interval)
	if g <= 0 {
		return c
	}
	m := c % g
	if m < 0 {
		m += g
	}
	return c - m
}

// tombstoneExpired reports whether e is a tombstone past cut (the grid
// cutoff, tombstoneCutoff): the one expiry rule for a version that comes
// into the registry, from a peer (applyEntries) or from the node's own
// disk at recovery (NewNodeFromSnapshot). The registry's own tombstones
// expire by the same comparison (collectTombstones, in StoppedAt order).
// A tombstone without its stamp (StoppedAt 0) never counts as expired on
// arrival.
func tombstoneExpired(e *Entry, cut Instant) bool {
	return e.Stopped && e.StoppedAt != 0 && e.StoppedAt < cut
}

// collectTombstones drops the tombstones below the grid cutoff (raising
// the epoch floor to their epochs), unless a member is away
// (mayCollectTombstones, asked only when a tombstone expired). It costs
// O(collected · log tombstones), O(1) amortized when none expired.
func (n *Node) collectTombstones() {
	cut := n.tombstoneCutoff()
	if _, at, ok := n.reg.oldestTombstone(); !ok || at >= cut || !n.mayCollectTombstones() {
		return
	}
	for {
		id, at, ok := n.reg.oldestTombstone()
		if !ok || at >= cut {
			return
		}
		rec, _ := n.reg.rec(id)
		n.raiseEpochFloor(rec.epoch)
		n.reg.remove(id)
	}
}
