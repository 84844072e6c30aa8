package core

import "slices"

// onMemberTransition is the one place where the node reacts to a change
// of a member's record (membership.go decides the change, this acts on
// it): it forgets a restarted or forgotten member's claims, exchanges full
// state with a member that comes up, probes one learned by gossip, fires
// the cluster join/leave hooks and moves children on view and cordon
// changes.
func (n *Node) onMemberTransition(t memberTransition) {
	n.quorumMemberChanged(t) // quorum_members.go
	n.forgetPeerDigest(t)    // syncdigest.go
	n.swimMemberChanged(t)   // swim_agree.go
	switch {
	case t.forgotten():
		n.forgetClaims(t.name, false)
	case t.discovered():
		// Probe it now rather than at the next heartbeat: joins complete
		// in a round trip, not a heartbeat interval.
		if n.swim != nil {
			n.send(t.name, n.swimPing(0, false)) // contact is all it takes; tables converge by digest
		} else {
			n.send(t.name, Message{Kind: MsgHeartbeat, Members: n.members.list(), Digest: n.reg.digest})
		}
	case t.cameUp():
		if t.restarted {
			// A restart: the old incarnation's instances are gone.
			n.forgetClaims(t.name, t.from == StatusAlive)
		}
		// Exchange full state with every node that comes up, and wait for
		// its state before acting on the registry again. A member taken
		// up by SWIM news gets none: it may agree instead (swim_agree.go).
		if t.name != n.welcoming && !t.byNews { // a joiner's goes with its welcome
			n.sendFullSync(t.name)
		}
		n.needResync(t.name)
		n.hook(HookPreClusterJoin, t.name, nil, "")
		n.viewChanged("up", t.name)
		n.hook(HookPostClusterJoin, t.name, nil, "")
		// A restart seen before the old incarnation was declared down
		// leaves the view as it was: the cordon reset still moves the ring.
		if t.cordonChanged {
			n.cordonChanged(t.name, t.cordoned)
		}
	case t.wentAway():
		n.resynced(t.name)
		if t.from == StatusAlive {
			n.hook(HookPreClusterLeave, t.name, nil, t.to.String())
			dir := "down"
			if t.to == StatusLeft {
				dir = "left"
			}
			n.viewChanged(dir, t.name)
			n.hook(HookPostClusterLeave, t.name, nil, t.to.String())
		}
	case t.cordonChanged:
		n.cordonChanged(t.name, t.cordoned)
	}
}

// mergeMembers merges a member list learned indirectly, reacting to each
// change before merging the next record. With SWIM it merges the whole
// list first and then reacts to each change in order (swim_agree.go): a
// table that brings k members changes the view and the ring once, not k
// times (each change copies the view: learning N members one at a time
// cost O(N²) per node); each member still gets its join hooks.
func (n *Node) mergeMembers(list []Member) {
	if n.swim != nil {
		ts := n.members.mergeList(list, n.now)              // membership_batch.go
		n.out.Hooks = slices.Grow(n.out.Hooks, 2*len(ts)+2) // a join's two hooks each, the view change's two
		for _, t := range ts {
			n.onMemberTransition(t)
		}
		n.members.recycle(ts)
		return
	}
	for _, g := range list {
		if t, ok := n.members.merge(g, n.now); ok {
			n.onMemberTransition(t)
		}
	}
}

// expireMembers detects silent members and forgets long-gone ones. It
// walks the table only when some member may expire (membership_delta.go),
// and looks up only the members that expire (expiringNames): a copy of
// every name and a lookup each cost O(N) per scan, on every node.
func (n *Node) expireMembers() {
	if !n.members.mayExpire(n.now, n.cfg.Timing) {
		return
	}
	for _, name := range n.members.expiringNames(n.now, n.cfg.Timing) {
		if t, ok := n.members.expire(name, n.now, n.cfg.Timing); ok {
			n.onMemberTransition(t)
		}
	}
	n.members.noteExpiry(n.cfg.Timing)
}
