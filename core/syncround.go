package core

import "slices"

// The periodic round's reconciliation. Until session 11 every
// anti-entropy round set dirtyAll, so each Sync.Interval every node
// reconciled every child of the registry: at a million children a
// million ring look-ups and map probes per node per round (11% of a 1M
// start's CPU), and ~40,000 of the ~92,000 reconcileOne calls of
// BenchmarkSim5Nodes1000Children60s.
//
// What that pass was a safety net for, condition by condition of
// reconcileOne: claims and entries that change mark their child dirty
// (applyClaims, storeEntry); view, quorum, readiness and cordon changes
// set dirtyAll themselves; an expired restart backoff marks its child
// (tickBackoffs), a strict lease granted or expiring marks its child
// (strict.go), migrations mark theirs (migration.go). No condition of
// placement turns true by the passage of time alone without one of
// these marks. What is left is a local instance that vanishes without
// the exit report that would mark it (a driver that lost a report):
// only a reconciliation that visits the child notices that it runs
// nowhere (TestSyncRoundOfABusyRegistryRunsOnTime).
//
// So the round now reconciles a bounded slice of the sorted ids: a
// rotating cursor moves through them, ⌈ids/sweepRounds⌉ per round, so
// every child is still re-checked within sweepRounds rounds (a minute
// with the default 15 s interval) at a quarter of the old cost per round.

// sweepRounds is how many anti-entropy rounds the rotating sweep takes
// to reconcile every child once.
const sweepRounds = 4

// sweepPlacement reconciles the round's slice of the registry's sorted
// ids, from the id after the last round's slice, wrapping around at the
// end. A pending full reconcile (dirtyAll) covers every id anyway: the
// round then visits none and the cursor stays.
func (n *Node) sweepPlacement() {
	if n.dirtyAll || n.left {
		return
	}
	ids := n.reg.ids() // a fresh slice when the key set changes: safe to walk while reconciling
	if len(ids) == 0 {
		return
	}
	i, _ := slices.BinarySearch(ids, n.sweepFrom)
	if i >= len(ids) {
		i = 0
	}
	end := min(i+(len(ids)+sweepRounds-1)/sweepRounds, len(ids))
	n.sweepFrom = ""
	if end < len(ids) {
		n.sweepFrom = ids[end]
	}
	var migrated []ChildID
	for _, id := range ids[i:end] {
		if n.reconcileOne(id) {
			migrated = append(migrated, id)
		}
	}
	if len(migrated) > 0 {
		n.hook(HookChildrenMigrated, n.cfg.Name, migrated, string(n.cfg.Migration.Kind))
	}
}
