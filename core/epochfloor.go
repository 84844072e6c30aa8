package core

// The epoch floor keeps fencing epochs strictly increasing after a
// tombstone expires. A stopped child's tombstone (its last epoch) is
// garbage-collected after Timing.TombstoneTTL; without a floor, a start of
// the same id afterwards would begin again at epoch 1, below the epochs
// its earlier instances held (and fenced external writes with). Each node
// keeps one number: the highest epoch of any tombstone it collected or
// heard of. A start of an id the registry no longer knows begins above
// it. The floor travels with every anti-entropy digest and every welcome,
// so a node that joins or restarts learns it before it serves (a welcome
// precedes its first full sync). One uint64 per node: bounded metadata.
//
// Epochs of unrelated children jump too when the floor rises; only the
// per-child order is promised.

// raiseEpochFloor records that an epoch up to e was collected somewhere.
func (n *Node) raiseEpochFloor(e uint64) {
	n.reg.epochFloor = max(n.reg.epochFloor, e)
}

// nextEpoch is the epoch of a fresh start of a child whose registry entry
// (if any) holds prev: above prev and above every collected tombstone.
func (n *Node) nextEpoch(prev uint64) uint64 {
	if n.cfg.Broken.NoEpochFloor {
		return prev + 1
	}
	return max(prev, n.reg.epochFloor) + 1
}

// EpochFloor returns the highest epoch of a tombstone this node collected
// or learned of from a peer; fresh starts begin above it.
func (n *Node) EpochFloor() uint64 {
	return n.reg.epochFloor
}
