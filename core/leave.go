package core

// Graceful leave. With hot swap and Handover, every local child is asked
// for its state, which is sent to the node that takes the child over (the
// first placement node once this node is gone) and stashed there until the
// child starts. When every state is sent, or Migration.Retention passes,
// the node stops its children, announces MsgLeave and is done (Left); in
// strict mode it first waits until they are gone and releases their leases
// (strict_leave.go).

// leaveState is a graceful leave's progress: leaving from Leave until
// every state is handed over or leaveDeadline passes, then left for good.
type leaveState struct {
	leaving       bool
	left          bool
	leaveDeadline Instant
	// leaveSent: the state each child handed over at the leave, and to
	// whom, kept while the leave waits for the stopped instances to exit
	// (exiting.go): a node that joins meanwhile may take a child over
	// instead, and gets the state too (resendLeaveHandovers).
	leaveSent map[ChildID]leaveSent
}

// leaveSent is one child's leave handover: its target and its item.
type leaveSent struct {
	to   NodeID
	item HandoverItem
}

// Leave starts a graceful leave at time now.
func (n *Node) Leave(now Instant) {
	n.advance(now)
	defer n.finish()
	if n.leaving || n.left {
		return
	}
	n.leaving = true
	n.leaveDeadline = now.Add(n.cfg.Migration.Retention)
	n.hook(HookCoordinatorShutdown, n.cfg.Name, nil, "leave")
	for _, key := range sortedReqIDs(n.pending.reqs) {
		p, ok := n.pending.reqs[key]
		if !ok {
			continue // answered while an earlier one was failed
		}
		// Already dispatched: the owner may have applied it, so the
		// outcome is unknown (a timeout), not a refusal.
		for _, g := range p.subs {
			n.failSub(g, ErrTimeout)
		}
		if _, still := n.pending.reqs[key]; still {
			n.finishPending(p)
		}
	}
	peers := n.members.peers()
	if n.cfg.Migration.Kind == HotSwap && n.cfg.Migration.Handover && len(peers) > 0 {
		without := n.ringWithoutSelf(peers)
		for _, id := range sortedChildKeys(n.local) {
			c := n.local[id]
			e, ok := n.reg.active(id)
			if !ok {
				continue
			}
			if len(e.Pinned) > 0 {
				continue // guided children are bound to their nodes
			}
			to := n.leaveTarget(without, id)
			if to == "" {
				continue
			}
			c.handover = &handoverOut{to: to, deadline: n.leaveDeadline, shutdown: true}
			n.migr.active[id] = struct{}{}
			n.effect(Effect{Kind: EffectRequestHandover, ID: id, Instance: c.instance, Epoch: c.epoch})
		}
	}
	n.tickLeave()
}

// tickLeave finishes the leave when no handover is outstanding or the
// retention bound passed.
func (n *Node) tickLeave() {
	if !n.leaving || n.left {
		return
	}
	if n.now < n.leaveDeadline {
		for _, c := range n.local {
			if c.handover != nil && c.handover.shutdown && !c.handover.acked {
				return
			}
		}
	}
	for _, id := range sortedChildKeys(n.local) {
		if h := n.local[id].handover; h != nil && h.shutdown && h.sent {
			if n.leaveSent == nil {
				n.leaveSent = map[ChildID]leaveSent{}
			}
			n.leaveSent[id] = leaveSent{to: h.to, item: HandoverItem{ID: id, State: h.state, Epoch: n.local[id].epoch, Instance: n.local[id].instance, Shutdown: true}}
		}
		n.stopLocalAwaitExit(id) // exiting.go
	}
	if n.strict != nil && !n.strictLeaveReleased() {
		return // strict_leave.go: release the leases once the children are gone
	}
	if len(n.exiting) > 0 {
		return // exiting.go: peers take the children over at the leave
	}
	n.resendLeaveHandovers()
	for _, p := range n.members.peers() {
		n.send(p, Message{Kind: MsgLeave})
	}
	n.left = true
}

// Left reports whether a graceful leave has completed; the driver may then
// close the node.
func (n *Node) Left() bool { return n.left }

// ringWithoutSelf is the ring of the placeable peers: where this node's
// children go once it has left.
func (n *Node) ringWithoutSelf(peers []NodeID) *ring {
	without := newRing(n.cfg.Distribution.VirtualNodes)
	without.set(n.placeable(peers))
	return without
}

// leaveTarget is the node that takes id over once this node has left:
// the first of its placement without this node that does not hold it.
func (n *Node) leaveTarget(without *ring, id ChildID) NodeID {
	for _, cand := range without.successors(nil, id, n.factor()) {
		if _, holds := n.reg.claim(cand, id); !holds {
			return cand
		}
	}
	return ""
}

// resendLeaveHandovers runs as the leave is announced: a child whose
// taker changed since its state was handed over (a node joined or was
// cordoned while the leave waited for the stopped instances) gets its
// state sent to the new taker, which stashes it, or delivers it to an
// instance it started already.
func (n *Node) resendLeaveHandovers() {
	if len(n.leaveSent) == 0 {
		return
	}
	without := n.ringWithoutSelf(n.members.peers())
	for _, id := range sortedChildKeys(n.leaveSent) {
		ls := n.leaveSent[id]
		if to := n.leaveTarget(without, id); to != "" && to != ls.to {
			n.queueHandover(to, ls.item)
		}
	}
	n.leaveSent = nil
}
