package core

import (
	"cmp"
	"slices"
)

// The periodic round's reconciliation. Until session 11 every
// anti-entropy round set dirtyAll, so each Sync.Interval every node
// reconciled every child of the registry: at a million children a
// million ring look-ups and map probes per node per round, after sorting
// the million ids (11% of a 1M start's CPU), and ~40,000 of the ~92,000
// reconcileOne calls of BenchmarkSim5Nodes1000Children60s.
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
// So the round now reconciles one of sweepRounds buckets of the ids (by
// a hash of the id), in turn: every child is still re-checked within
// sweepRounds rounds (a minute with the default 15 s interval), at about
// a quarter of the reconciliations per round and without sorting the
// ids (a bucket is ordered by hash, then id: a sort of integers).
//
// Since only the vanished instance should need the sweep, a sweep
// reconciliation that does something to a child no mark covers (neither
// dirty nor at the end of its backoff, both reconciled later in the same
// tick) is counted: Stats.SweepRepairs. Any other count is a condition
// of placement that changed without a mark, which makes its child wait
// up to sweepRounds rounds; the simulator's seeds hold none
// (TestSweepRepairsNothingInTheSimulator).

// sweepRounds is how many anti-entropy rounds the sweep takes to
// reconcile every child once: the number of buckets.
const sweepRounds = 4

// sweepItem is one id of a sweep's bucket with its hash.
type sweepItem struct {
	hash uint64
	id   ChildID
}

// sweepPlacement reconciles the children of the round's bucket. A
// pending full reconcile (dirtyAll) covers every id anyway: the round
// then visits none and the next round takes the same bucket.
func (n *Node) sweepPlacement() {
	if n.dirtyAll || n.left || n.reg.len() == 0 {
		return
	}
	bucket := uint64(n.sweepRound % sweepRounds)
	n.sweepRound++
	items := n.sweepBuf[:0]
	n.sweepBuf = nil // taken: a nested sweep must not share it
	for id, i := range n.reg.index {
		if !n.reg.slots[i].entry {
			continue // claims alone, no entry (slots.go)
		}
		if h := idHash(id); h%sweepRounds == bucket {
			items = append(items, sweepItem{h, id})
		}
	}
	slices.SortFunc(items, func(a, b sweepItem) int { // map order must not leak
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var migrated []ChildID
	for _, it := range items {
		marked := n.reconciledAnyway(it.id)
		before := n.outputCount()
		if n.reconcileOne(it.id) {
			migrated = append(migrated, it.id)
		}
		if !marked && n.outputCount() != before {
			n.sweepRepairs++
		}
	}
	if cap(items) <= maxReusedSet {
		n.sweepBuf = items[:0]
	}
	if len(migrated) > 0 {
		slices.Sort(migrated)
		n.hook(HookChildrenMigrated, n.cfg.Name, migrated, string(n.cfg.Migration.Kind))
	}
}

// reconciledAnyway reports whether a mark covers id this tick: it is
// dirty, or its restart backoff ends now (tickBackoffs marks it after the
// sweep).
func (n *Node) reconciledAnyway(id ChildID) bool {
	if n.dirty {
		if _, ok := n.dirtyIDs[id]; ok {
			return true
		}
	}
	if len(n.backoffs) > 0 {
		if b, ok := n.backoffs[id]; ok && n.now >= b.until {
			return true
		}
	}
	return false
}

// outputCount sums what a reconciliation can add to: effects, messages,
// registry changes, hooks and the entries and claims to push.
func (n *Node) outputCount() int {
	return len(n.out.Effects) + len(n.out.Messages) + len(n.out.Changes) + len(n.out.Hooks) + len(n.pendingEntries) + len(n.pendingClaims)
}

// idHash hashes a child id (FNV-1a, then SplitMix64's finalizer so that
// its low bits are as good as its high ones).
func idHash(id ChildID) uint64 {
	x := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		x ^= uint64(id[i])
		x *= 1099511628211
	}
	return mix64(x)
}
