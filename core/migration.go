package core

// Hot-swap migration. When a child's placement moves away from this node,
// the new holder starts its instance first; this node then (with Handover)
// asks the old instance for its state, sends it to the new holder, and
// stops the old instance once the state is sent (or confirmed, with
// ConfirmHandover). Retention bounds every wait: when it passes, the old
// instance is stopped regardless. Without Handover the old instance stops
// as soon as the new holder claims the child (ProcessHub never stops it;
// see NOTES.md §6 quirk 1).

type handoverOut struct {
	to       NodeID
	deadline Instant
	sent     bool
	shutdown bool
}

type migrations struct {
	// stash holds handover state received before the instance started
	// here (graceful-shutdown handover), with its expiry.
	stash map[ChildID]stashed
	// confirmTo remembers who awaits a handover confirmation.
	confirmTo map[ChildID]NodeID
}

type stashed struct {
	state   []byte
	expires Instant
}

// maxStash bounds stashed handover states per node.
const maxStash = 100000

func newMigrations() *migrations {
	return &migrations{stash: map[ChildID]stashed{}, confirmTo: map[ChildID]NodeID{}}
}

func (m *migrations) takeStash(id ChildID) []byte {
	s, ok := m.stash[id]
	if !ok {
		return nil
	}
	delete(m.stash, id)
	return s.state
}

func (n *Node) beginHandover(c *localChild, to NodeID) bool {
	if !n.cfg.Migration.Handover {
		n.stopLocal(c.spec.ID)
		return true
	}
	if c.handover != nil {
		return false
	}
	c.handover = &handoverOut{to: to, deadline: n.now.Add(n.cfg.Migration.Retention)}
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
	h.sent = true
	n.send(h.to, Message{Kind: MsgHandover, IDs: []ChildID{ev.ID}, State: ev.State, Epoch: c.epoch, Full: h.shutdown})
	if !n.cfg.Migration.ConfirmHandover || h.shutdown {
		n.stopLocal(ev.ID)
		n.hook(HookChildrenMigrated, h.to, []ChildID{ev.ID}, "hot_swap")
	}
}

// onHandover delivers received state to the local instance, or stashes it
// until the instance starts here.
func (n *Node) onHandover(m Message) {
	if len(m.IDs) != 1 {
		return
	}
	id := m.IDs[0]
	if c, ok := n.local[id]; ok {
		n.effect(Effect{Kind: EffectDeliverHandover, ID: id, Instance: c.instance, Epoch: c.epoch, State: m.State})
		if n.cfg.Migration.ConfirmHandover {
			n.migr.confirmTo[id] = m.From
		}
		return
	}
	if len(n.migr.stash) < maxStash {
		n.migr.stash[id] = stashed{state: m.State, expires: n.now.Add(4 * n.cfg.Migration.Retention)}
	}
}

func (n *Node) onHandoverConfirmed(ev ChildEvent) {
	to, ok := n.migr.confirmTo[ev.ID]
	if !ok {
		return
	}
	delete(n.migr.confirmTo, ev.ID)
	n.send(to, Message{Kind: MsgHandoverAck, IDs: []ChildID{ev.ID}})
}

func (n *Node) onHandoverAck(from NodeID, ids []ChildID) {
	for _, id := range ids {
		if c, ok := n.local[id]; ok && c.handover != nil && c.handover.to == from {
			n.stopLocal(id)
			n.hook(HookChildrenMigrated, from, []ChildID{id}, "hot_swap")
		}
	}
}

// tickMigrations enforces the retention bound and expires stashes.
func (n *Node) tickMigrations() {
	for _, id := range sortedChildKeys(n.local) {
		c := n.local[id]
		if c.handover != nil && n.now >= c.handover.deadline && !c.handover.shutdown {
			to := c.handover.to
			n.stopLocal(id)
			n.hook(HookChildrenMigrated, to, []ChildID{id}, "retention")
		}
	}
	for _, id := range sortedChildKeys(n.migr.stash) {
		if n.now >= n.migr.stash[id].expires {
			delete(n.migr.stash, id)
		}
	}
}
