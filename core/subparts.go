package core

import "time"

// Large sub-requests go out in parts, a few at a time per owner.
//
// An owner answers a sub-request once it has started (or stopped) every
// child it names and every peer has acknowledged the new versions; the
// origin resends a sub-request that is not answered within RetryInterval
// (backing off to 4 RetryIntervals, backoff.go), and a resend carries the
// whole batch again. A million-child start is five requests of 200,000,
// each ~67,000 children per owner: executing one of those takes longer
// than the backoff's ceiling on a loaded machine, so every such
// sub-request was resent every 1.2 s while its owner worked through it,
// and every resend was encoded, sent and decoded only to be dropped as a
// duplicate (core.RequestCounters counts both). Sending all parts at once
// would not help: a part queued behind the others at its owner waits for
// them, and its retry comes due all the same.
//
// So a sub-request of more than subPartItems children is split into parts
// of at most subPartItems, and each owner has at most subPartsInFlight
// parts in flight from this node: a part is sent when an earlier one is
// answered (or failed), so each part's answer waits only for the parts
// ahead of it, and its retry — a lost message is still resent after
// RetryInterval — repeats at most subPartItems children. Sub-requests of
// up to subPartItems children, all the simulator makes, go at once as
// before. Parts are answered, retried, rerouted and failed exactly as
// sub-requests are: the split changes no outcome, only when parts leave.

// The time an owner needs to execute a sub-request, and a peer to apply a
// replication round, grows with the children they name, so their first
// retry waits one RetryInterval per retryItemsPerInterval children
// (retryIntervalFor): a part of 4,096 children is resent after 4
// RetryIntervals, then backs off as any message (backoff.go). Requests
// and rounds of up to retryItemsPerInterval children, all the simulator
// makes, retry as before.

// retryItemsPerInterval is the children one RetryInterval of waiting
// covers before a retry.
const retryItemsPerInterval = 1024

// retryIntervalFor returns the first retry interval of a message naming
// items children: base per retryItemsPerInterval of them, at least base.
func retryIntervalFor(items int, base time.Duration) time.Duration {
	return base * time.Duration(max(1, (items+retryItemsPerInterval-1)/retryItemsPerInterval))
}

// subPartItems bounds the children of one part of a large sub-request.
const subPartItems = 4096

// subPartsInFlight bounds the parts sent to one owner and not yet
// answered (two: the owner executes one while the next is on its way).
const subPartsInFlight = 2

// partWindow holds the parts of large sub-requests for one owner: queued
// ones not sent yet, in order, and the ones in flight.
type partWindow struct {
	queued []*subReq
	flying []*subReq
}

// splitSub returns g's parts of at most subPartItems children each, or
// nil if g is small enough to go whole. Parts share g's owner, operation
// and check flag; each holds a slice of g's positions and items or ids.
func splitSub(g *subReq) []*subReq {
	n := len(g.idx)
	if n <= subPartItems {
		return nil
	}
	var parts []*subReq
	for lo := 0; lo < n; lo += subPartItems {
		hi := min(lo+subPartItems, n)
		part := &subReq{parent: g.parent, owner: g.owner, op: g.op, check: g.check, queued: true, idx: g.idx[lo:hi:hi]}
		if len(g.items) > 0 {
			part.items = g.items[lo:hi:hi]
		} else {
			part.ids = g.ids[lo:hi:hi]
		}
		parts = append(parts, part)
	}
	return parts
}

// queuePart files a part for its owner's window; pumpParts sends it.
func (n *Node) queuePart(g *subReq) {
	if n.pending.windows == nil {
		n.pending.windows = map[NodeID]*partWindow{}
	}
	w := n.pending.windows[g.owner]
	if w == nil {
		w = &partWindow{}
		n.pending.windows[g.owner] = w
	}
	w.queued = append(w.queued, g)
}

// pumpParts sends queued parts while their owner has room in its window,
// owners in name order. A local owner may answer a part at once, freeing
// room, so it loops until nothing more can be sent. Parts of a request
// answered meanwhile (a deadline, a failure) are dropped unsent; a part
// for an owner no longer alive fails with ErrNodeDown as a sent one
// would at its retry.
func (n *Node) pumpParts() {
	if len(n.pending.windows) == 0 || n.pending.pumping {
		return
	}
	n.pending.pumping = true
	defer func() { n.pending.pumping = false }()
	for progress := true; progress; {
		progress = false
		for _, owner := range sortedKeys(n.pending.windows) {
			w := n.pending.windows[owner]
			if w == nil {
				continue
			}
			w.flying = dropAnswered(n, w.flying)
			for len(w.flying) < subPartsInFlight && len(w.queued) > 0 {
				g := w.queued[0]
				w.queued[0] = nil
				w.queued = w.queued[1:]
				if g.done || n.pending.reqs[g.parent.req.ID] != g.parent {
					continue
				}
				progress = true
				g.queued = false
				if owner != n.cfg.Name && !n.members.alive(owner) {
					n.failSub(g, ErrNodeDown)
					continue
				}
				w.flying = append(w.flying, g)
				n.sendSub(g)
				w.flying = dropAnswered(n, w.flying)
			}
			if len(w.flying) == 0 && len(w.queued) == 0 {
				delete(n.pending.windows, owner)
			}
		}
	}
}

// dropAnswered removes from parts those answered, failed, rerouted or
// whose request is no longer pending.
func dropAnswered(n *Node, parts []*subReq) []*subReq {
	out := parts[:0]
	for _, g := range parts {
		if !g.done && n.pending.reqs[g.parent.req.ID] == g.parent {
			out = append(out, g)
		}
	}
	clear(parts[len(out):])
	return out
}

// queuedParts counts the parts waiting in every window (Stats, tests).
func (n *Node) queuedParts() int {
	k := 0
	for _, w := range n.pending.windows {
		k += len(w.queued)
	}
	return k
}
