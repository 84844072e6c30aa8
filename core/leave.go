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
		without := newRing(n.cfg.Distribution.VirtualNodes)
		without.set(n.placeable(peers))
		for _, id := range sortedChildKeys(n.local) {
			c := n.local[id]
			e, ok := n.reg.active(id)
			if !ok {
				continue
			}
			var to NodeID
			if len(e.Pinned) > 0 {
				continue // guided children are bound to their nodes
			}
			k := n.factor()
			for _, cand := range without.successors(nil, id, k) {
				if _, holds := n.reg.claim(cand, id); !holds {
					to = cand
					break
				}
			}
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
		n.stopLocalAwaitExit(id) // exiting.go
	}
	if n.strict != nil && !n.strictLeaveReleased() {
		return // strict_leave.go: release the leases once the children are gone
	}
	if len(n.exiting) > 0 {
		return // exiting.go: peers take the children over at the leave
	}
	for _, p := range n.members.peers() {
		n.send(p, Message{Kind: MsgLeave})
	}
	n.left = true
}

// Left reports whether a graceful leave has completed; the driver may then
// close the node.
func (n *Node) Left() bool { return n.left }
