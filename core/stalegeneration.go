package core

// renewStaleGeneration restarts, as a new generation, a local instance
// whose epoch is below its registry entry's when this node is where the
// child belongs (first in its placement) and the entry's generation runs
// nowhere. That happens after a cut: a cut-off node took the child over
// (a higher epoch) and lost its instance (quorum loss, a crash) before
// the heal; its version wins the merge by epoch, so the instance that
// kept running here would carry a fencing epoch below the registry's for
// good — a store that fences by epoch would refuse its writes, and
// Lookup would name a holder that runs nothing. The restart is a takeover
// (maybeStart, at the next reconciliation): epoch above the registry's,
// holder this node. It reports whether it stopped the old instance (or,
// under hot swap with handover, is stopping it once its state is in).
func (n *Node) renewStaleGeneration(e *Entry, c *localChild, pl []NodeID) bool {
	if pl[0] != n.cfg.Name || c.epoch >= e.Epoch || e.Holder == n.cfg.Name || !n.ready() || n.backingOff(e) {
		return false
	}
	if _, runs := n.reg.claim(e.Holder, e.Spec.ID); runs && n.members.alive(e.Holder) {
		return false // the registry's generation runs: placement moves it
	}
	// Stop now, start at the next reconciliation (the next input, or
	// this one once the old instance's state is in: under hot swap with
	// handover it first hands its state to the new generation,
	// renewWithState in migration.go; a stop and a start in one claims
	// message reach peers as the start, lastClaimPerChild).
	n.renewWithState(c)
	return true
}
