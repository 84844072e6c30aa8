package core

// Restart intensity is counted per replica, on the node that runs it (as
// ProcessHub counts it per node supervisor). A replica that exceeds it
// while another node still runs a replica of the child does not take the
// child down with it: it stops on this node, retracts its claim and backs
// off for Restart.Window, after which reconciliation starts it here again
// (ProcessHub restarts the node's supervisor and its children instead).
// Only the last running replica unregisters the child cluster-wide.

// backoff is a replica that exceeded its restart intensity here.
type backoff struct {
	epoch uint64  // the entry epoch it gave up at
	until Instant // when it may start again
}

// backOffReplica stops c after it exceeded its restart intensity, if
// another alive node claims the child; it reports whether it did (false:
// c is the last replica and the caller unregisters the child). The
// retracted claim fires registry_pid_remove like any stop.
func (n *Node) backOffReplica(c *localChild) bool {
	id := c.spec.ID
	other := false
	for _, p := range n.members.peers() {
		if _, ok := n.reg.claim(p, id); ok {
			other = true
			break
		}
	}
	if !other {
		return false
	}
	delete(n.local, id)
	if n.reg.dropClaim(n.cfg.Name, id) {
		n.pendingClaims = append(n.pendingClaims, Claim{ID: id, Removed: true, Epoch: c.epoch, Instance: c.instance})
		n.claimChanged(n.cfg.Name, id, false)
	}
	if n.backoffs == nil {
		n.backoffs = map[ChildID]backoff{}
	}
	n.backoffs[id] = backoff{epoch: c.epoch, until: n.now.Add(n.cfg.Restart.Window)}
	return true
}

// backingOff reports whether the local replica of e must stay stopped.
func (n *Node) backingOff(e *Entry) bool {
	b, ok := n.backoffs[e.Spec.ID]
	return ok && b.epoch == e.Epoch && n.now < b.until
}

// tickBackoffs ends expired backoffs and reconciles their children.
func (n *Node) tickBackoffs() {
	for _, id := range sortedChildKeys(n.backoffs) {
		if n.now >= n.backoffs[id].until {
			delete(n.backoffs, id)
			n.markDirty(id)
		}
	}
}
