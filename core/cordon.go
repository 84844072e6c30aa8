package core

import (
	"errors"
	"fmt"
)

// Cordon and drain. A cordoned node stays a member: it counts for quorum,
// keeps its registry replica, answers lookups and forwards requests. But
// the ring — the one place that decides placement and ownership — leaves
// it out, so it owns no child, starts no new instance, and reconciliation
// moves every ring-placed child it runs to the node that now owns it,
// under the configured migration strategy (cold swap: stop, then start
// there; hot swap: start there, hand the state over, then stop). Guided
// children are bound to their nodes and stay. Uncordoning puts the node
// back on the ring; children move back as on a join.
//
// Only the node itself sets its cordon flag (a cordon request is routed
// to it); every peer takes the flag from the node's own member record,
// carried by each heartbeat, ordered by CordonVer. A restart starts
// uncordoned, except for a durable node's recovery wait (persist.go:
// holdRecoveryCordon, Member.Recovering). A node refuses to cordon itself when it sees no other
// uncordoned alive member (ErrNoUncordonedNode). Two concurrent cordons
// of the last two can still cordon every member: the ring is then empty,
// so nothing runs and starts are refused with ErrNoUncordonedNode until a
// node is uncordoned. (Falling back to "all members" instead would let
// nodes that disagree about the cordons run a child twice.)

// ErrNoUncordonedNode refuses a cordon of the last uncordoned member, and
// a start while every member is cordoned.
var ErrNoUncordonedNode = errors.New("no uncordoned node")

// takeCordon applies the cordon state of a member's own record if it is
// newer than what s holds.
func takeCordon(s *memberState, rec *Member) {
	if rec.CordonVer > s.CordonVer {
		s.Cordoned, s.CordonVer, s.Recovering = rec.Cordoned, rec.CordonVer, rec.Cordoned && rec.Recovering
	}
}

// placeable returns the nodes of ns (sorted, alive) the ring may place
// children on: the uncordoned ones or, when every one is cordoned, those
// cordoned only for their recovery wait (Member.Recovering). A recovering
// node runs nothing before its wait ends, and it lifts its cordon through
// the uncordon path (a fresh sync from every peer), so the fallback only
// keeps the ring from being empty while a whole cluster boots from disk.
func (n *Node) placeable(ns []NodeID) []NodeID {
	out := make([]NodeID, 0, len(ns))
	for _, name := range ns {
		if s, ok := n.members.members[name]; !ok || !s.Cordoned {
			out = append(out, name)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, name := range ns {
		if s, ok := n.members.members[name]; ok && s.Recovering {
			out = append(out, name)
		}
	}
	return out
}

// clearCordonedIfNone clears anyCordoned when no member of the table
// holds a cordon flag, so setRingFromView takes its fast path again.
// Every path that sets a flag sets anyCordoned (membership.heard,
// setOwnCordon), and a member enters the table uncordoned (merge) or
// through heard, so anyCordoned=false keeps meaning "no member is
// cordoned". It walks the records only while anyCordoned is set, when
// placeable's lookup per member costs as much.
func (m *membership) clearCordonedIfNone() {
	if !m.anyCordoned {
		return
	}
	for _, s := range m.table() {
		if s.Cordoned {
			return
		}
	}
	m.anyCordoned = false
}

// Cordoned returns the alive members that are cordoned, sorted.
func (n *Node) Cordoned() []NodeID {
	var out []NodeID
	for _, name := range n.members.view {
		if n.members.members[name].Cordoned {
			out = append(out, name)
		}
	}
	return out
}

// cordonChanged rebuilds the ring after node was cordoned or uncordoned
// and moves children accordingly, with the redistribution hooks.
func (n *Node) cordonChanged(node NodeID, cordoned bool) {
	dir := "uncordon"
	if cordoned {
		dir = "cordon"
	}
	n.hook(HookPreNodesRedistribution, node, nil, dir)
	before := n.placementsBefore()
	n.setRingFromView() // ring_view.go
	n.hookChildrenRedistribution(before, node, dir)
	n.dirtyAll, n.dirty = true, true
	n.reconcile()
	n.hook(HookPostNodesRedistribution, node, nil, dir)
}

// setCordon sets this node's own cordon flag (idempotent).
//
// A cordoned node only stops children, so a cordon takes effect at once.
// An uncordoned node must not start a child that a peer, still placing
// it elsewhere, runs or is about to start: that would run it twice. So
// it first asks every peer for a full sync, carrying its new record; a
// peer applies the uncordon (releasing what now belongs here) before it
// answers, and the node takes children over only once every peer has
// answered with a sync made after that (ready, syncIsCurrent).
func (n *Node) setCordon(on bool) {
	if !n.members.setOwnCordon(on) {
		return
	}
	if !on {
		for _, p := range n.members.peers() {
			if n.needSync == nil {
				n.needSync = map[NodeID]bool{}
			}
			n.needSync[p] = true
		}
	}
	n.cordonChanged(n.cfg.Name, on)
	// Peers learn it from the next heartbeat; tell them now.
	hb := Message{Kind: MsgHeartbeat, Members: n.members.list()}
	for _, p := range n.members.peers() {
		n.send(p, hb)
		if !on {
			n.send(p, n.syncRequest())
		}
	}
}

// syncRequest asks a peer for a full sync; it carries this node's own
// member record, which the peer applies before it answers.
func (n *Node) syncRequest() Message {
	return Message{Kind: MsgSyncRequest, Members: []Member{n.members.members[n.cfg.Name].Member}}
}

// syncIsCurrent reports whether a full sync was made by a peer that knew
// this node's current cordon state (members holds this node's record as
// the peer knew it).
func (n *Node) syncIsCurrent(members []Member) bool {
	own := n.members.members[n.cfg.Name].CordonVer
	if own == 0 {
		return true
	}
	for _, m := range members {
		if m.Name == n.cfg.Name {
			return m.CordonVer >= own
		}
	}
	return false
}

// requestCordon routes a cordon or uncordon of r.Target to that node,
// which applies it and answers once its own ring has changed (so it
// starts nothing new from then on). The reply has one result naming the
// target; a target that is not an alive member is ErrUnknownNode.
func (n *Node) requestCordon(r Request) {
	if r.Target != n.cfg.Name && !n.members.alive(r.Target) {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: fmt.Errorf("%w: %q is not an alive member", ErrUnknownNode, r.Target)})
		return
	}
	if n.quorum.partitioned {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: ErrPartitioned})
		return
	}
	p := n.newPending(r, 1, r.Timeout)
	if p == nil {
		return
	}
	p.results[0].ID = ChildID(r.Target)
	// The target travels as the request's only id, so every answer path
	// of onRoutedRequest (partitioned, restarted, ...) has one result.
	g := &subReq{parent: p, owner: r.Target, op: r.Op, idx: []int{0}, ids: []ChildID{ChildID(r.Target)}}
	n.dispatch(p, map[NodeID]*subReq{r.Target: g}, []NodeID{r.Target})
}

// ownerCordon applies a routed cordon or uncordon to this node. A cordon
// that would leave no uncordoned alive member in this node's view is
// refused.
func (n *Node) ownerCordon(op *ownerOp) {
	op.results = []ChildResult{{ID: ChildID(n.cfg.Name), Nodes: []NodeID{n.cfg.Name}}}
	on := op.op == OpCordon
	if n.persist.cordoned {
		// In its recovery wait (persist.go): a cordon is kept when the
		// wait ends; an uncordon is what the wait's end does.
		if on {
			n.persist.cordoned = false
			n.members.setOwnRecovering(false)
			n.cordonChanged(n.cfg.Name, true)
		}
		return
	}
	if on && !n.members.members[n.cfg.Name].Cordoned && len(n.placeable(n.members.view)) <= 1 {
		op.results[0].Err = Code(ErrNoUncordonedNode)
		op.results[0].Detail = "every other alive member is cordoned"
		op.results[0].Nodes = nil
		return
	}
	n.setCordon(on)
}
