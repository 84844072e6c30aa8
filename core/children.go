package core

import (
	"fmt"
	"slices"
)

// childStatus is the lifecycle of a local instance.
type childStatus uint8

const (
	childStarting childStatus = iota + 1
	childRunning
)

func (s childStatus) String() string {
	if s == childStarting {
		return "starting"
	}
	return "running"
}

// localChild is an instance this node runs.
type localChild struct {
	spec     ChildSpec
	epoch    uint64
	instance uint64
	status   childStatus
	active   bool
	restarts []Instant
	// hot-swap state while the instance is being replaced elsewhere
	handover *handoverOut
	// awaitingState: a hot-swap takeover whose previous holder is alive
	// and has not handed its state over yet. Such an instance has no
	// state worth handing on, so it is stopped without a handover.
	awaitingState bool
}

// startLocal starts a new local instance for e, with optional handover
// state, and claims it.
func (n *Node) startLocal(e *Entry, state []byte) {
	if _, ok := n.local[e.Spec.ID]; ok {
		return
	}
	if n.strict != nil && !n.strictMayStart(e.Spec.ID) {
		return // reconciliation starts it once the voters grant it
	}
	n.nextInst++
	c := &localChild{spec: e.Spec, epoch: e.Epoch, instance: n.nextInst, status: childStarting, active: n.shouldBeActive(e)}
	n.local[e.Spec.ID] = c
	if state == nil {
		state = n.migr.takeStash(e.Spec.ID, c.instance)
	}
	n.effect(Effect{Kind: EffectStart, ID: e.Spec.ID, Instance: c.instance, Epoch: c.epoch, Spec: e.Spec, State: state, Active: c.active})
	n.claimLocal(c)
}

// stopLocal stops the local instance of id, if any, and retracts the claim.
func (n *Node) stopLocal(id ChildID) {
	c, ok := n.local[id]
	if !ok {
		return
	}
	n.stopLocalKeepingClaim(id, c)
	if n.reg.dropClaim(n.cfg.Name, id) {
		n.pendingClaims = append(n.pendingClaims, Claim{ID: id, Epoch: c.epoch, Instance: c.instance, Removed: true})
		n.claimChanged(n.cfg.Name, id, false)
	}
}

// stopLocalKeepingClaim stops the local instance c of id and forgets it;
// the caller retracts its claim (stopLocal at once, exiting.go once it is
// known gone).
func (n *Node) stopLocalKeepingClaim(id ChildID, c *localChild) {
	delete(n.local, id)
	_, await := n.exiting[id]
	n.effect(Effect{Kind: EffectStop, ID: id, Instance: c.instance, Epoch: c.epoch, AwaitExit: await && n.exiting[id].instance == c.instance})
	if n.strict != nil {
		n.strictStopped(id, c.instance)
	}
	// An awaited start whose instance is stopped before it reported (it
	// migrated away at once, or was stopped) still succeeded: its entry
	// is written. Its report will be ignored, so answer now — unless
	// another replica's start failed first (stoppedStartReport).
	if _, waiting := n.repl.waitingStart[id]; waiting { // else ownerStartReport does nothing: no tombstone lookup
		detail, err := n.stoppedStartReport(id)
		n.ownerStartReport(id, err, detail)
	}
}

func (n *Node) claimLocal(c *localChild) {
	cl := Claim{ID: c.spec.ID, Epoch: c.epoch, Instance: c.instance, Active: c.active}
	_, existed := n.reg.claim(n.cfg.Name, c.spec.ID)
	n.reg.setClaim(n.cfg.Name, cl)
	n.pendingClaims = append(n.pendingClaims, cl)
	if existed {
		// A restart or a new signal replaces the claim: the registry
		// changes, but nothing was removed (restarts fire
		// child_process_pid_update instead).
		n.registryChanged(c.spec.ID)
		return
	}
	n.claimChanged(n.cfg.Name, c.spec.ID, true)
}

// ChildEvent handles a report from the driver about a local instance.
// Reports about instances that are no longer current are ignored.
func (n *Node) ChildEvent(now Instant, ev ChildEvent) {
	n.advance(now)
	defer n.finish()
	ev.Reason = truncateReason(ev.Reason)
	c, ok := n.local[ev.ID]
	if ev.Kind == ChildHandoverConfirmed {
		n.onHandoverConfirmed(ev)
		return
	}
	if ev.Kind == ChildHandoverState {
		n.onHandoverState(ev)
		return
	}
	if n.strict != nil {
		n.strictExited(ev)
	} else if len(n.exiting) > 0 {
		n.exitedStopped(ev) // exiting.go
	}
	if !ok || c.instance != ev.Instance {
		return
	}
	switch ev.Kind {
	case ChildStarted:
		c.status = childRunning
		n.ackOnStart(c) // migration.go
		n.hook(HookProcessStartups, n.cfg.Name, n.batch.oneID(ev.ID), "")
		n.ownerStartReport(ev.ID, nil, "")
		if n.cfg.Redundancy.Signal != SignalNone && n.factor() != 1 {
			n.signal(c)
		}
	case ChildStartFailed:
		n.exitedBeforeRun(c) // migration.go
		if len(c.restarts) > 0 {
			// A restart that fails to start is one more crash: the restart
			// intensity decides (nobody awaits a restart).
			n.onExit(c, ChildEvent{Kind: ChildExited, ID: ev.ID, Instance: ev.Instance, Abnormal: true, Reason: "start failed: " + ev.Reason})
			return
		}
		delete(n.local, ev.ID)
		if n.reg.dropClaim(n.cfg.Name, ev.ID) {
			n.pendingClaims = append(n.pendingClaims, Claim{ID: ev.ID, Removed: true, Epoch: c.epoch, Instance: c.instance})
			n.claimChanged(n.cfg.Name, ev.ID, false)
		}
		n.ownerStartReport(ev.ID, ErrStartFailed, ev.Reason)
		n.giveUp(ev.ID, "start failed: "+ev.Reason)
	case ChildExited:
		n.exitedBeforeRun(c) // migration.go
		n.onExit(c, ev)
	}
}

// onExit applies the restart policy to an exited instance.
func (n *Node) onExit(c *localChild, ev ChildEvent) {
	id := c.spec.ID
	restart := c.spec.Restart == Permanent || (c.spec.Restart == Transient && ev.Abnormal)
	if restart {
		// Restart intensity: at most MaxRestarts within Window.
		cut := n.now.Add(-n.cfg.Restart.Window)
		kept := c.restarts[:0]
		for _, t := range c.restarts {
			if t > cut {
				kept = append(kept, t)
			}
		}
		c.restarts = kept
		if len(c.restarts) >= n.cfg.Restart.MaxRestarts+btoi(n.cfg.Broken.IntensityOffByOne) {
			ev.Reason = fmt.Sprintf("restart intensity exceeded (%d in %s): %s", n.cfg.Restart.MaxRestarts, n.cfg.Restart.Window, ev.Reason)
			if n.backOffReplica(c) {
				return
			}
			restart = false
		}
	}
	if restart && n.strict != nil && !n.strictMayStart(id) {
		// No lease left to restart under: drop the instance (keeping the
		// entry); reconciliation starts it again once the voters grant it.
		delete(n.local, id)
		if n.reg.dropClaim(n.cfg.Name, id) {
			n.pendingClaims = append(n.pendingClaims, Claim{ID: id, Removed: true, Epoch: c.epoch, Instance: c.instance})
			n.claimChanged(n.cfg.Name, id, false)
		}
		n.markDirty(id)
		return
	}
	if restart {
		c.restarts = append(c.restarts, n.now)
		n.nextInst++
		c.instance = n.nextInst
		c.status = childStarting
		n.effect(Effect{Kind: EffectStart, ID: id, Instance: c.instance, Epoch: c.epoch, Spec: c.spec, Active: c.active})
		n.claimLocal(c)
		n.hook(HookChildPidUpdate, n.cfg.Name, []ChildID{id}, "restart")
		return
	}
	delete(n.local, id)
	if n.reg.dropClaim(n.cfg.Name, id) {
		n.pendingClaims = append(n.pendingClaims, Claim{ID: id, Removed: true, Epoch: c.epoch, Instance: c.instance})
		n.claimChanged(n.cfg.Name, id, false)
	}
	reason := "exited"
	if ev.Abnormal {
		reason = "crashed: " + ev.Reason
	}
	n.giveUp(id, reason)
}

// giveUp unregisters a child that exited for good on this node (ProcessHub's
// self_exit unregistration): the entry becomes a tombstone everywhere.
func (n *Node) giveUp(id ChildID, reason string) {
	e, ok := n.reg.active(id)
	if !ok {
		return
	}
	t := n.tombstone(e, reason)
	for _, p := range n.members.peers() {
		n.send(p, Message{Kind: MsgReplicate, Entries: []Entry{*t}})
	}
}

// claimChanged records the registry change and the insert/remove hook for
// a claim of node on id; both are emitted, coalesced, when the input ends.
func (n *Node) claimChanged(node NodeID, id ChildID, inserted bool) {
	n.batch.claim(node, id, inserted)
	n.registryChanged(id)
}

func (n *Node) registryChanged(id ChildID) {
	if !n.cfg.OmitRegistryChanges {
		n.batch.changed(id)
	}
}

// outBatch coalesces per-child outputs of one input: one RegistryChange per
// child (its final state) and one insert/remove hook per node, listing the
// children (ProcessHub's bulk insert hooks carry the diff the same way).
type outBatch struct {
	changedSet  map[ChildID]struct{}
	changedRoom int // ids changedSet has room for (roomInSet, changes.go)
	changedIDs  []ChildID
	inserts     map[NodeID][]ChildID
	removes     map[NodeID][]ChildID
	run         claimRun        // the latest claims of one node and kind, not in inserts/removes yet
	views       viewSources     // the flush's view inputs (viewsources.go)
	idSlab      []ChildID       // backs one-id hook lists (oneID, changes.go)
	lastClaim   map[ChildID]int // flushClaims' reused map (claimbatch.go)
	claimHint   int             // claim changes the input expects (expectClaims, changes.go)
}

func (b *outBatch) changed(id ChildID) {
	if b.changedSet == nil {
		b.changedSet = map[ChildID]struct{}{}
	}
	k := len(b.changedSet)
	b.changedSet[id] = struct{}{}
	if len(b.changedSet) > k { // new: one hash, not a lookup and an insert
		b.changedIDs = append(b.changedIDs, id)
	}
}

// claimRun is a run of claim changes of one node and kind (a start or
// stop of many children changes one node's claims in a row): their ids
// are appended here and put in the batch's map when the run ends, so a
// claim change costs an append instead of a lookup and an assignment.
type claimRun struct {
	on       bool
	node     NodeID
	inserted bool
	ids      []ChildID
}

func (b *outBatch) claim(node NodeID, id ChildID, inserted bool) {
	if r := &b.run; r.on && r.node == node && r.inserted == inserted {
		r.ids = append(r.ids, id)
		return
	}
	b.endRun()
	m := b.claimMap(inserted)
	b.run = claimRun{on: true, node: node, inserted: inserted, ids: append(b.sized(m[node]), id)}
}

// claimMap returns the batch's inserts or removes, made if nil.
func (b *outBatch) claimMap(inserted bool) map[NodeID][]ChildID {
	m := &b.removes
	if inserted {
		m = &b.inserts
	}
	if *m == nil {
		*m = map[NodeID][]ChildID{}
	}
	return *m
}

// endRun puts the current run of claim changes, if any, in the batch's
// map.
func (b *outBatch) endRun() {
	if r := &b.run; r.on {
		b.claimMap(r.inserted)[r.node] = r.ids
		b.run = claimRun{}
	}
}

// flushBatch emits the coalesced changes and hooks.
func (n *Node) flushBatch() {
	b := &n.batch
	b.endRun()
	if !n.cfg.OmitRegistryChanges {
		// Sized once: Ready hands the slice out, so it grows from empty
		// in every batch, and a start's batches change thousands of ids.
		n.out.Changes = slices.Grow(n.out.Changes, len(b.changedIDs))
		if len(b.changedIDs) > 0 {
			b.views.load(n.reg, n.members.view, n.members.incarnation)
		}
		for i, id := range b.changedIDs {
			n.out.Changes = append(n.out.Changes, RegistryChange{ID: id, Entry: n.changeEntry(id, &b.views, len(b.changedIDs)-i)})
		}
	}
	for _, node := range sortedKeys(b.inserts) {
		n.hook(HookRegistryInsert, node, b.inserts[node], "")
	}
	for _, node := range sortedKeys(b.removes) {
		n.hook(HookRegistryRemove, node, b.removes[node], "")
	}
	b.reset()
}

// forgetClaims drops every claim of a node that is gone or restarted.
// With removeHooks (a restart noticed while the node was still alive in
// the view, so no down fired the removals) each dropped claim fires
// registry_pid_remove.
func (n *Node) forgetClaims(node NodeID, removeHooks bool) {
	delete(n.reg.removed, node) // versions restart with the incarnation
	n.forgetClaimStream(node)   // and delta counts (syncgap.go)
	if n.reg.claimCount(node) == 0 {
		return
	}
	ids := n.reg.forgetClaimsOf(node)
	for _, id := range ids {
		if removeHooks {
			n.claimChanged(node, id, false)
		} else {
			n.registryChanged(id)
		}
	}
	n.dirty = true
}

// storeEntry writes e to the registry if newer, and applies it locally.
func (n *Node) storeEntry(e *Entry) bool {
	if !n.reg.put(e) {
		return false
	}
	n.registryChanged(e.Spec.ID)
	n.markDirty(e.Spec.ID)
	return true
}

// applyEntries merges entries received from peer (their writer, for
// gossip).
func (n *Node) applyEntries(peer NodeID, es []Entry) {
	n.reserveForEntries(es)    // reserve.go
	cut := n.tombstoneCutoff() // tombstone_grid.go
	for i := range es {
		e := &es[i] // read only: the message may go on (gossip)
		if tombstoneExpired(e, cut) {
			n.raiseEpochFloor(e.Epoch)
			if !n.expiredTombstoneStillEnds(e) { // tombstone_gc.go
				continue // expired tombstone: already garbage-collected here
			}
		}
		if _, at, ok := n.reg.tombstone(e.Spec.ID); ok && at != 0 && at < cut && n.freshStartMayEndTombstone(peer) {
			// Our tombstone has expired but was not collected yet (that
			// happens at our next anti-entropy round). Peers that collected
			// theirs start the child afresh above their epoch floor, which
			// is at least this tombstone's epoch once they collected it;
			// a peer that never learned the floor (cut off all along) may
			// start it lower, and an expired tombstone must not hide that
			// start here.
			rec, _ := n.reg.rec(e.Spec.ID)
			n.raiseEpochFloor(rec.epoch)
			n.reg.remove(e.Spec.ID)
		}
		if !n.reg.takes(e) {
			continue // a version held already (most of a full sync): entryapply.go
		}
		cp := *e
		cp.Replicas = nil
		n.storePeerEntry(&cp) // strict_contested.go
	}
}

// WhichChildrenLocal lists the instances this node runs, sorted by id
// (ProcessHub's which_children_local).
func (n *Node) WhichChildrenLocal() NodeChildren {
	out := NodeChildren{Node: n.cfg.Name, Children: make([]LocalChild, 0, len(n.local))}
	for _, id := range sortedChildKeys(n.local) {
		c := n.local[id]
		out.Children = append(out.Children, LocalChild{ID: id, Kind: c.spec.Kind, Epoch: c.epoch, Instance: c.instance, Status: c.status.String(), Active: c.active})
	}
	return out
}

// btoi is 1 for true (test-only Broken switches).
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
