package core

import "time"

// Known gone. A cold swap, a cordon and a graceful leave promise a gap,
// not an overlap: the old instance stops first and the new one starts
// once the old holder's claim is gone. An instance told to stop is not
// gone yet — a real process may take the driver's stop grace to exit — so
// outside strict mode a node that stops an instance for a move keeps its
// claim until the driver reports the exit (ChildExited or
// ChildStartFailed with the stopped instance; EffectStop.AwaitExit asks
// for that report) or ExitWait passes, whichever comes first: a driver
// that never reports cannot hold a child forever. A new owner waits for
// the claim (maybeStart), and a leaving node announces its leave only
// once nothing it stopped may still run (tickLeave). Strict mode keeps
// stopped instances in its lease rounds the same way (strict.go:
// strictStopped, strictExited) and reports the same exits; it needs no
// second table.

// DefaultExitWait is MigrationConfig.ExitWait when it is 0: the default
// exec stop grace (5 s) plus a margin.
const DefaultExitWait = 10 * time.Second

// exitWait is a stopped instance whose claim is kept until it is known
// gone, and the instant that ends the wait regardless.
type exitWait struct {
	instance uint64
	until    Instant
}

// exitWaitFor returns how long a stopped instance keeps its claim.
func (n *Node) exitWaitFor() time.Duration {
	if d := n.cfg.Migration.ExitWait; d > 0 {
		return d
	}
	return DefaultExitWait
}

// stopLocalAwaitExit stops the local instance of id, if any, for a move
// (cold swap, cordon, leave). Outside strict mode its claim stays until
// its exit is reported or ExitWait passes (releaseExited); strict mode
// keeps it in its rounds instead (stopLocal).
func (n *Node) stopLocalAwaitExit(id ChildID) {
	c, ok := n.local[id]
	if !ok {
		return
	}
	if n.strict != nil {
		n.stopLocal(id)
		return
	}
	if n.exiting == nil {
		n.exiting = map[ChildID]exitWait{}
	}
	w := exitWait{instance: c.instance, until: n.now.Add(n.exitWaitFor())}
	n.exiting[id] = w
	n.stopLocalKeepingClaim(id, c)
	if n.cfg.Broken.ReleaseBeforeExit {
		n.releaseExited(id, w) // at once, the exit still awaited by the driver
	}
}

// exitedStopped takes in the driver's report that a stopped instance is
// gone (its exit or its failed start) and releases its claim.
func (n *Node) exitedStopped(ev ChildEvent) {
	if ev.Kind != ChildExited && ev.Kind != ChildStartFailed {
		return
	}
	if w, ok := n.exiting[ev.ID]; ok && w.instance == ev.Instance {
		n.releaseExited(ev.ID, w)
		if n.leaving && len(n.exiting) == 0 {
			n.tickLeave() // the last one: announce the leave now, not at the next tick
		}
	}
}

// tickExiting releases the claims of stopped instances whose ExitWait
// passed: the driver's stop grace has ended them by then.
func (n *Node) tickExiting() {
	if len(n.exiting) == 0 {
		return
	}
	for _, id := range sortedChildKeys(n.exiting) {
		if w := n.exiting[id]; n.now >= w.until {
			n.releaseExited(id, w)
		}
	}
}

// releaseExited forgets a stopped instance known gone and retracts its
// claim, unless a newer local instance claims the child meanwhile.
func (n *Node) releaseExited(id ChildID, w exitWait) {
	delete(n.exiting, id)
	if _, runs := n.local[id]; !runs {
		if cl, ok := n.reg.claim(n.cfg.Name, id); ok && cl.Instance == w.instance && n.reg.dropClaim(n.cfg.Name, id) {
			n.pendingClaims = append(n.pendingClaims, Claim{ID: id, Epoch: cl.Epoch, Instance: w.instance, Removed: true})
			n.claimChanged(n.cfg.Name, id, false)
		}
	}
	n.markDirty(id)
}

// stillExiting reports whether an instance this node stopped may still
// run (outside strict mode).
func (n *Node) stillExiting(id ChildID) bool {
	_, ok := n.exiting[id]
	return ok
}
