package core

// One owner per child. The origin of a request groups its children by
// owner in its own view and sends each group to that owner; views differ
// while a member comes back (a restart, a full-cluster restart, a healed
// cut), so a group can reach a node that no longer owns every child of it.
// Forwarding covers a group whose children all have one other owner; a
// group whose children now have several owners (or one that has bounced
// maxHops times) must not be executed either: the node would write a
// version of a child its real owner writes too, and both would
// acknowledge, e.g. two starts of the same child at the same epoch
// (durable class, seed 118). Such a group is refused with errReroute
// before anything is applied; the origin regroups its children by its
// current view and sends them again (core/testdata/reroute.txt).

// errReroute is an owner's refusal of a routed request naming a child it
// does not own in its view. Nothing of the request was applied.
const errReroute ErrCode = "reroute"

// ownsEvery reports whether this node owns every child m names, in its
// current view. Cordons are for their target, never owned by a child.
func (n *Node) ownsEvery(m Message) bool {
	if m.Op == OpCordon || m.Op == OpUncordon {
		return true
	}
	for i, id := range requestIDs(m) {
		var pin []NodeID
		if m.Op == OpStart && i < len(m.Items) {
			pin = m.Items[i].Pinned
		}
		var o NodeID
		if m.Op == OpStart {
			o = n.ownerFor(id, pin)
		} else {
			o = n.ownerOf(id)
		}
		if o != n.cfg.Name {
			return false
		}
	}
	return true
}

// rerouteRefusal is what the table of answered requests holds for a
// request refused with errReroute: a retransmission of it (sent before
// the refusal reached the origin, or duplicated by the network) is refused
// again even if this node owns its children by then. Applying it would
// execute a group the origin has already regrouped and sent elsewhere
// under a new sequence number: its client would hear already_started or
// not_found for its own write (the pattern of netfault's c16).
var rerouteRefusal = []ChildResult{{Err: errReroute}}

// isRerouteRefusal reports whether res is the remembered rerouteRefusal.
func isRerouteRefusal(res []ChildResult) bool {
	return len(res) == 1 && &res[0] == &rerouteRefusal[0]
}

// refuseNotOwned answers a routed request with errReroute and remembers
// the refusal (rerouteRefusal).
func (n *Node) refuseNotOwned(key reqKey) {
	n.rememberDone(key, rerouteRefusal)
	n.answerReroute(key)
}

// answerReroute sends the origin of key the errReroute refusal.
func (n *Node) answerReroute(key reqKey) {
	if key.origin == n.cfg.Name {
		n.onResult(key.seq, n.cfg.Name, nil, errReroute)
		return
	}
	n.send(key.origin, Message{Kind: MsgResult, Seq: key.seq, ToInc: key.inc, Err: errReroute})
}

// rerouteSub replaces g, which its owner refused (errReroute), by groups
// of its children regrouped by owner in this node's current view. A group
// that goes to a new owner is sent at once; one that repeats the refused
// group (this view still names the same owner) waits for the retry round,
// so two nodes whose views disagree exchange one request and one refusal
// per RetryInterval until the views agree or the deadline passes.
func (n *Node) rerouteSub(g *subReq) {
	if g.done {
		return
	}
	g.done = true
	delete(n.pending.bySeq, g.seq)
	p := g.parent
	groups := map[NodeID]*subReq{}
	var owners []NodeID
	for k, pos := range g.idx {
		var owner NodeID
		if g.op == OpStart {
			owner = n.ownerFor(g.items[k].Spec.ID, g.items[k].Pinned)
		} else {
			owner = n.ownerOf(g.ids[k])
		}
		ng := groups[owner]
		if ng == nil {
			ng = &subReq{parent: p, owner: owner, op: g.op, check: g.check}
			groups[owner] = ng
			owners = append(owners, owner)
		}
		ng.idx = append(ng.idx, pos)
		if g.op == OpStart {
			ng.items = append(ng.items, g.items[k])
		} else {
			ng.ids = append(ng.ids, g.ids[k])
		}
	}
	subs := p.subs[:0]
	for _, s := range p.subs {
		if s != g {
			subs = append(subs, s)
		}
	}
	p.subs = subs
	var send []*subReq
	for _, o := range sortedNodes(owners) {
		ng := groups[o]
		ng.seq = n.seq()
		p.subs = append(p.subs, ng)
		n.pending.bySeq[ng.seq] = ng
		if o == g.owner && len(owners) == 1 {
			ng.lastSend = n.now // the same group again: the retry round sends it
			continue
		}
		send = append(send, ng)
	}
	for _, ng := range send {
		n.sendSub(ng)
	}
}
