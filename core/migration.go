package core

import "slices"

// Hot-swap migration. When a child's placement moves away from this node,
// the new holder starts its instance first; this node then (with Handover)
// asks the old instance for its state and sends it to the new holder,
// retransmitting every RetryInterval until the receiver acknowledges it
// (once the state is given to a new instance that runs — one still
// starting gets it at once and the acknowledgement when it reports
// running, ackOnStart — or once the new instance confirmed it with
// ConfirmHandover). Only then does the old instance stop, so it stops
// only after the new one runs. Retention bounds every wait: when it
// passes, the old instance is stopped regardless.
// Without Handover there is no state, but the old instance still stops
// only once the new one runs (ProcessHub never stops it; NOTES.md §6
// quirk 1): it sends an empty handover, retransmitted the same way,
// which the receiver acknowledges once its instance runs (ackOnRun) and
// never delivers; Retention bounds the wait as with state. Before, it
// stopped as soon as the new holder claimed the child, before the new
// instance ran (exec children behind a readiness probe: 3.6-8.0 ms
// without any instance ready).
// A graceful leave hands every child's state over the same way, to the
// node that takes the child over, which stashes it until the child starts.

type handoverOut struct {
	to       NodeID
	deadline Instant
	state    []byte
	sent     bool // state received from the child and sent at least once
	lastSend Instant
	acked    bool
	shutdown bool
	empty    bool // no state (hot swap without Handover): sent at once
}

type migrations struct {
	// stash holds handover state received before the instance started
	// here (graceful-shutdown handover), with its expiry.
	stash map[ChildID]stashed
	// confirmTo remembers which handover awaits a confirmation.
	confirmTo map[ChildID]handoverKey
	// ackOnRun remembers the hot-swap handovers delivered to a local
	// instance that was still starting (more than one: duplicates after a
	// partition each hand their state over): each is acknowledged once
	// that instance runs (ackOnStart), so the sender's instance, which
	// stops on the acknowledgement, stops only after the new one runs.
	ackOnRun map[ChildID][]runAck
	// delivered remembers, per child, the handovers (sending instance
	// and its epoch) whose state was delivered to the local instance, so
	// retransmissions are only acked. Duplicates of one child at one
	// epoch (after a partition), or two instances one after the other on
	// one node at one epoch, are told apart by the sending instance: each
	// hands its own state over and each is delivered.
	delivered map[ChildID][]handoverKey
	// active lists local children with an outgoing handover, so ticks
	// look only at them (not at every local child).
	active map[ChildID]struct{}
	// batch holds the handovers and acknowledgements to send at the
	// next Ready (handoverbatch.go).
	batch handoverBatches
}

// handoverKey names one incoming handover by the instance that handed
// its state over: its node, the node's incarnation, the instance id
// (Message.Seq of a handover) and its epoch.
type handoverKey struct {
	from     NodeID
	inc      uint64
	instance uint64
	epoch    uint64
}

func keyOf(m Message) handoverKey {
	return handoverKey{from: m.From, inc: m.Inc, instance: m.Seq, epoch: m.Epoch}
}

// maxDeliveredPerChild bounds the handovers remembered per child; the
// oldest is forgotten first (only duplicates from that many senders at
// once could make a retransmission look new, and then the state is
// delivered once more, never lost).
const maxDeliveredPerChild = 8

// runAck is a handover acknowledgement held until instance runs.
type runAck struct {
	key      handoverKey
	instance uint64
}

type stashed struct {
	state   []byte
	expires Instant
	from    handoverKey // the handover it came with
	// ackOnRun: a hot-swap handover, not yet acknowledged; the instance
	// given this state at its start acknowledges it once it runs
	// (ackOnStart), since its sender stops its instance on the
	// acknowledgement.
	ackOnRun bool
}

// maxStash bounds stashed handover states per node.
const maxStash = 100000

func newMigrations() *migrations {
	return &migrations{stash: map[ChildID]stashed{}, confirmTo: map[ChildID]handoverKey{}, ackOnRun: map[ChildID][]runAck{}, delivered: map[ChildID][]handoverKey{}, active: map[ChildID]struct{}{}}
}

// takeStash returns the state stashed for id (nil if none), given to
// the local instance starting now, and counts its handover as
// delivered, so a late retransmission of it is only acknowledged. A
// hot-swap handover stashed unacknowledged is acknowledged once that
// instance runs (ackOnRun).
func (m *migrations) takeStash(id ChildID, instance uint64) []byte {
	s, ok := m.stash[id]
	if !ok {
		return nil
	}
	delete(m.stash, id)
	m.delivered[id] = append(m.delivered[id], s.from)
	if s.ackOnRun {
		m.holdAck(id, runAck{key: s.from, instance: instance})
	}
	return s.state
}

// holdAck holds a's acknowledgement until its instance runs (ackOnRun),
// once per handover.
func (m *migrations) holdAck(id ChildID, a runAck) {
	if !slices.Contains(m.ackOnRun[id], a) {
		m.ackOnRun[id] = append(m.ackOnRun[id], a)
	}
}

// ackHeld reports whether an acknowledgement of the handover k waits for
// id's local instance to run.
func (m *migrations) ackHeld(id ChildID, k handoverKey) bool {
	return slices.ContainsFunc(m.ackOnRun[id], func(a runAck) bool { return a.key == k })
}

func (n *Node) beginHandover(c *localChild, to NodeID) bool {
	if h := c.handover; h != nil {
		if h.to != to && !h.shutdown {
			// The target changed (it died, or the view moved on): hand the
			// state to the new holder instead, within the same retention.
			h.to, h.acked = to, false
			if h.sent {
				n.sendHandover(c)
			}
		}
		return false
	}
	c.handover = &handoverOut{to: to, deadline: n.now.Add(n.cfg.Migration.Retention)}
	n.migr.active[c.spec.ID] = struct{}{}
	if !n.cfg.Migration.Handover {
		// Nothing to ask the instance for: the empty handover goes now,
		// and its acknowledgement (once the new instance runs) stops ours.
		c.handover.sent, c.handover.empty = true, true
		n.sendHandover(c)
		return false
	}
	n.effect(Effect{Kind: EffectRequestHandover, ID: c.spec.ID, Instance: c.instance, Epoch: c.epoch})
	return false
}

// onHandoverState receives the old instance's state and ships it.
func (n *Node) onHandoverState(ev ChildEvent) {
	c, ok := n.local[ev.ID]
	if !ok || c.instance != ev.Instance || c.handover == nil || c.handover.sent {
		return
	}
	h := c.handover
	if h.to == n.cfg.Name {
		if !n.renewsHere(ev.ID) {
			// The child moved away while its renewal waited for the
			// state: nothing renews here. The instance keeps running,
			// and hands its state to the new holder once that one claims
			// it, like any hot swap (release). Before, it stopped and
			// stashed its state where no instance started, while the
			// new holder's instance was still to start.
			// Or a member came back meanwhile and this node awaits its
			// full sync: no start until then, so the instance keeps
			// running and the renewal is tried again once ready
			// (renewStaleGeneration). Before, it stopped and the new
			// generation started only after the syncs (SWIM, 50 nodes,
			// partition seed 2 on ec5b008: n46 stopped b115 113 ms
			// before its restart, 3.4 ms before n38's instance ran).
			n.dropHandover(c)
			n.markDirty(ev.ID)
			return
		}
		n.renewed(c, ev.State)
		return
	}
	h.state, h.sent = ev.State, true
	n.sendHandover(c)
}

func (n *Node) sendHandover(c *localChild) {
	h := c.handover
	h.lastSend = n.now
	n.queueHandover(h.to, HandoverItem{ID: c.spec.ID, State: h.state, Epoch: c.epoch, Instance: c.instance, Shutdown: h.shutdown})
}

// onHandover delivers received state to the local instance, or stashes it
// until the instance starts here, and acknowledges it: a hot swap's once
// the instance given it runs (or after the child confirmed it with
// ConfirmHandover), a graceful leave's at once.
// Without Handover nothing is delivered or stashed: the (empty) handover
// is acknowledged once the local instance runs, and not at all while none
// runs here (the sender retransmits, or stops at Retention).
func (n *Node) onHandover(m Message) {
	if len(m.IDs) != 1 {
		return
	}
	id := m.IDs[0]
	key := keyOf(m)
	c, running := n.local[id]
	switch {
	case running && c.epoch < m.Epoch:
		return // state from a newer instance than ours: never apply backwards
	case running:
		dedup := key
		if n.cfg.Broken.HandoverDedupByEpoch {
			dedup = handoverKey{epoch: m.Epoch}
		}
		if slices.Contains(n.migr.delivered[id], dedup) {
			held := n.migr.ackHeld(id, key)
			if _, waiting := n.migr.confirmTo[id]; !waiting && !held {
				if c.status == childStarting && !m.Full {
					// A restart of the instance it was given to is still
					// starting: acknowledged once that one runs.
					n.migr.holdAck(id, runAck{key: key, instance: c.instance})
					return
				}
				n.queueAck(m.From, id, key) // a retransmission: delivered already
			}
			return
		}
		ks := append(n.migr.delivered[id], dedup)
		if len(ks) > maxDeliveredPerChild {
			ks = slices.Delete(ks, 0, 1)
		}
		n.migr.delivered[id] = ks
		c.awaitingState = false
		withState := n.cfg.Migration.Handover || m.Full
		if withState && !n.cfg.Broken.HandoverDropsState {
			n.effect(Effect{Kind: EffectDeliverHandover, ID: id, Instance: c.instance, Epoch: c.epoch, State: m.State})
		}
		if withState && n.cfg.Migration.ConfirmHandover && !m.Full {
			n.migr.confirmTo[id] = key
			return
		}
		if c.status == childStarting && !m.Full {
			// The sender stops its instance on the acknowledgement:
			// acknowledged once ours runs (ackOnStart), Retention
			// bounding the wait as before.
			n.migr.holdAck(id, runAck{key: key, instance: c.instance})
			return
		}
	default:
		if !m.Full && !n.cfg.Migration.Handover {
			return // no state to stash, no instance that runs: not acked
		}
		if !m.Full && !n.placedHere(id) {
			// A hot-swap handover of a child that no longer belongs here
			// (its placement moved on, back to the sender perhaps, and
			// this node stopped its instance): not acknowledged, so the
			// sender keeps its instance; once its view moves too, it
			// keeps it (keepReturned) or hands it to the new holder. A
			// stash here would hold the state where no instance starts.
			return
		}
		if len(n.migr.stash) >= maxStash {
			return // no ack: the sender retries until its retention ends
		}
		if s, ok := n.migr.stash[id]; ok && s.from != key {
			// Another instance's state waits here already (duplicates
			// after a partition): only one can be given at the start, so
			// this one is not acknowledged; its sender retransmits, and
			// once the instance runs here it is delivered and acked.
			return
		}
		n.migr.stash[id] = stashed{state: m.State, expires: n.now.Add(4 * n.cfg.Migration.Retention), from: key, ackOnRun: !m.Full}
		if !m.Full {
			// A hot swap's sender stops its instance on the
			// acknowledgement, and none runs here yet (stopped and not
			// restarted: the placement moved away and back, the view is
			// syncing): acknowledged once the instance given this state
			// runs (takeStash, ackOnStart); retransmissions meanwhile are
			// not. Before, it was acknowledged at once and the sender's
			// instance stopped before any ran here (skew seed 124: n3
			// stopped 24 children while n2's restarts were starting,
			// b192's ran 5.9 ms later).
			return
		}
	}
	n.queueAck(m.From, id, key)
}

// handedOverBy reports whether the instance that cl names on node from
// handed its state to id's local instance (delivered, or given at its
// start from the stash). Then that older claim is no rival takeover's
// original but the instance this one took the child over from, stopped
// or stopping on the acknowledgement (its retraction still on the way):
// this instance holds the state, so when the child moves back to from it
// hands the state over like any hot swap (release), not stopping at once
// as a newcomer with nothing to hand on.
func (m *migrations) handedOverBy(id ChildID, from NodeID, cl Claim) bool {
	for _, k := range m.delivered[id] {
		if k.from == from && k.epoch == cl.Epoch && k.instance == cl.Instance {
			return true
		}
	}
	return false
}

func (n *Node) onHandoverConfirmed(ev ChildEvent) {
	k, ok := n.migr.confirmTo[ev.ID]
	if !ok {
		return
	}
	delete(n.migr.confirmTo, ev.ID)
	n.queueAck(k.from, ev.ID, k)
}

// ackOnStart acknowledges the hot-swap handovers held for id's local
// instance (ackOnRun) now that the instance runs. A handover held for an
// earlier instance that never ran is dropped: its state went with that
// instance, so its sender must not stop on an acknowledgement; it hands
// the state on again or stops at Retention.
func (n *Node) ackOnStart(c *localChild) {
	as, ok := n.migr.ackOnRun[c.spec.ID]
	if !ok {
		return
	}
	delete(n.migr.ackOnRun, c.spec.ID)
	for _, a := range as {
		if a.instance == c.instance {
			n.queueAck(a.key.from, c.spec.ID, a.key)
		}
	}
}

// exitedBeforeRun forgets the hot-swap handovers held for c's instance
// (ackOnRun), which exits before it ran: their states went with it,
// while the senders' instances still run with them. The handovers no
// longer count as delivered, so each sender's next retransmission gives
// its state to the restart and is acknowledged once that one runs.
// Before, the retransmission was taken for a duplicate: only
// acknowledged once the restart ran, so the sender stopped and its state
// reached no instance that ran. Before, too, only the last handover held
// was forgotten: of two given to one instance (duplicates after a
// partition) the other's state was lost that way
// (TestHotSwapTwoHandoversToAnInstanceThatExitsBeforeItRuns).
func (n *Node) exitedBeforeRun(c *localChild) {
	id := c.spec.ID
	as, ok := n.migr.ackOnRun[id]
	if !ok || n.cfg.Broken.HandoverKeptAfterExit {
		return
	}
	gone := func(a runAck) bool { return a.instance == c.instance }
	for _, a := range as {
		if gone(a) {
			n.migr.delivered[id] = slices.DeleteFunc(n.migr.delivered[id], func(k handoverKey) bool { return k == a.key })
		}
	}
	if as = slices.DeleteFunc(as, gone); len(as) == 0 {
		delete(n.migr.ackOnRun, id)
	} else {
		n.migr.ackOnRun[id] = as
	}
}

// onHandoverAck completes a handover: the old instance stops (a leaving
// node stops all its children together once every handover is acked).
func (n *Node) onHandoverAck(from NodeID, ids []ChildID, epoch, instance uint64) {
	for _, id := range ids {
		c, ok := n.local[id]
		if !ok || c.handover == nil || c.handover.to != from || c.epoch != epoch || c.instance != instance {
			continue
		}
		c.handover.acked = true
		if !c.handover.shutdown {
			n.stopLocal(id)
			// Reconciled: placed here again meanwhile (an uncordon, a
			// view that moved back), the child starts here now, not when
			// something else touches it (the new holder's Retention):
			// TestHotSwapHandBackStartsOnceTheOldInstanceStops.
			n.markDirty(id)
			n.hook(HookChildrenMigrated, from, []ChildID{id}, "hot_swap")
		}
	}
}

// tickMigrations retransmits unacknowledged handovers, enforces the
// retention bound and expires stashes.
func (n *Node) tickMigrations() {
	if len(n.migr.active)+len(n.migr.stash)+len(n.migr.delivered)+len(n.migr.ackOnRun) == 0 {
		return // nothing in flight: most ticks of most nodes
	}
	for _, id := range sortedChildKeys(n.migr.active) {
		c := n.local[id]
		if c == nil || c.handover == nil {
			delete(n.migr.active, id) // stopped: the handover is over
			continue
		}
		h := c.handover
		if h.acked {
			continue
		}
		if n.now >= h.deadline {
			if h.to == n.cfg.Name {
				if !n.renewsHere(id) {
					// The instance never gave its state, and no new
					// generation can start here now: it keeps running, as
					// when its state comes late (onHandoverState). Before,
					// it stopped at Retention with no successor: on an
					// unready node until the awaited syncs came
					// (TestHotSwapRenewalDeadlineKeepsTheInstanceOnAnUnreadyNode).
					n.dropHandover(c)
					n.markDirty(id)
					continue
				}
				n.renewed(c, nil) // the instance never gave its state
				continue
			}
			if !h.shutdown && n.placedHere(id) {
				// The child came back while its state was out: nobody
				// acknowledged it, so the instance keeps it (keepReturned).
				n.dropHandover(c)
				n.markDirty(id)
				continue
			}
			if !h.shutdown {
				n.stopLocal(id)
				n.hook(HookChildrenMigrated, h.to, []ChildID{id}, "retention")
			}
			continue
		}
		if h.sent && n.now.Sub(h.lastSend) >= n.cfg.Timing.RetryInterval {
			n.sendHandover(c)
		}
	}
	// Deleting while ranging over a map is order-independent: no sort.
	for id, st := range n.migr.stash {
		if n.now >= st.expires {
			delete(n.migr.stash, id)
		}
	}
	for id := range n.migr.delivered {
		if _, running := n.local[id]; !running {
			delete(n.migr.delivered, id)
		}
	}
	for id, as := range n.migr.ackOnRun {
		c, ok := n.local[id]
		if ok {
			as = slices.DeleteFunc(as, func(a runAck) bool { return a.instance != c.instance })
		}
		if !ok || len(as) == 0 {
			delete(n.migr.ackOnRun, id)
		} else {
			n.migr.ackOnRun[id] = as
		}
	}
}

// keepReturned ends an outgoing hot-swap handover of c whose state has
// not been sent yet, because the child is placed on this node again (an
// uncordon, a view that moved back): the instance keeps running with its
// state, and the receiver, no longer placed, stops its own instance
// (which was still waiting for the state, so it has none to hand back).
// A handover whose state is out goes on: the receiver's instance may
// have been given it, and then an acknowledgement stops this one (the
// receiver's hands it back once this node takes the child over). A
// receiver that is not placed and runs no instance acknowledges nothing
// (onHandover), so at Retention the handover is dropped and the instance
// kept, as here (tickMigrations). Before, the instance stopped once such
// a receiver acknowledged a retransmission and stashed the state where no
// instance would start (mix seed 151 at 39f0f29). An empty handover
// (hot swap without Handover) ends even once sent: it gave the receiver
// nothing. A graceful leave's handovers and a renewal's (renewWithState)
// go on.
func (n *Node) keepReturned(c *localChild) {
	h := c.handover
	if h == nil || h.shutdown || (h.sent && !h.empty) || h.acked || h.to == n.cfg.Name {
		return
	}
	n.dropHandover(c)
}

// dropHandover forgets c's outgoing handover; c keeps running.
func (n *Node) dropHandover(c *localChild) {
	c.handover = nil
	delete(n.migr.active, c.spec.ID)
}

// renewWithState stops c, a local instance of a stale generation
// (renewStaleGeneration), so that reconciliation restarts the child here
// as a new generation. Under hot swap with handover the old instance
// hands its state to the new one first, as it would to a new holder
// elsewhere: its state is requested, stashed here when it comes
// (renewed), and given to the next instance at its start; Retention
// bounds the wait. Otherwise the instance stops at once.
func (n *Node) renewWithState(c *localChild) {
	id := c.spec.ID
	if n.cfg.Migration.Kind != HotSwap || !n.cfg.Migration.Handover {
		n.stopLocal(id)
		n.markDirty(id)
		return
	}
	if c.handover != nil {
		return // its state is on its way (here, or to a leave's taker)
	}
	c.handover = &handoverOut{to: n.cfg.Name, deadline: n.now.Add(n.cfg.Migration.Retention)}
	n.migr.active[id] = struct{}{}
	n.effect(Effect{Kind: EffectRequestHandover, ID: id, Instance: c.instance, Epoch: c.epoch, Renewal: true})
}

// renewed completes a renewal: the old instance's state (nil if it never
// gave it) is stashed for the next instance here, the old instance
// stops, and reconciliation starts the new generation.
func (n *Node) renewed(c *localChild, state []byte) {
	id := c.spec.ID
	if state != nil {
		from := handoverKey{from: n.cfg.Name, inc: n.cfg.Incarnation, instance: c.instance, epoch: c.epoch}
		n.migr.stash[id] = stashed{state: state, expires: n.now.Add(4 * n.cfg.Migration.Retention), from: from}
	}
	n.stopLocal(id)
	n.markDirty(id)
}

// renewsHere reports whether a renewal of id (renewWithState) may stop
// the old instance now: the next generation starts here at once, this
// node being first in id's placement and ready (renewStaleGeneration's
// own conditions). Otherwise the old instance keeps running.
func (n *Node) renewsHere(id ChildID) bool {
	return n.firstHere(id) && n.ready()
}

// firstHere reports whether this node's view places id here first (where
// a renewal restarts it: renewStaleGeneration).
func (n *Node) firstHere(id ChildID) bool {
	e, ok := n.reg.active(id)
	if !ok {
		return false
	}
	pl := n.placement(e)
	return len(pl) > 0 && pl[0] == n.cfg.Name
}

// placedHere reports whether this node's view places id here.
func (n *Node) placedHere(id ChildID) bool {
	e, ok := n.reg.active(id)
	return ok && containsNode(n.placement(e), n.cfg.Name)
}

// predecessorAlive reports whether an alive peer still claims c's child
// at an older epoch than c's: the holder whose state c, a hot-swap
// takeover (awaitingState), still waits for. Once that holder crashed
// (or stopped without handing over) no state will come, and c is the
// only instance: when the child moves on it hands its own state over and
// stops once the new instance runs, like any hot swap. Before, it
// stopped at once, and the child ran nowhere until the new instance ran
// (crash seeds 32 and 41 with sim's crash-during-handover site).
func (n *Node) predecessorAlive(c *localChild) bool {
	for _, p := range n.members.peers() {
		if cl, ok := n.reg.claim(p, c.spec.ID); ok && cl.Epoch < c.epoch {
			return true
		}
	}
	return false
}
