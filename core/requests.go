package core

import (
	"fmt"
	"time"
)

// pendingTable holds the client requests this node awaits answers for.
type pendingTable struct {
	max   int
	reqs  map[uint64]*pendingReq
	bySeq map[uint64]*subReq // routed sub-request seq -> sub-request
	// windows holds the parts of large sub-requests per owner, queued
	// and in flight (subparts.go); pumping guards pumpParts against
	// re-entry.
	windows map[NodeID]*partWindow
	pumping bool
}

type pendingReq struct {
	req      Request
	deadline Instant
	results  []ChildResult
	open     int // results still missing
	subs     []*subReq
	which    map[NodeID]bool
	global   []NodeChildren
}

// subReq is the part of a request routed to one owner.
type subReq struct {
	parent   *pendingReq
	seq      uint64
	owner    NodeID
	op       Op
	toInc    uint64 // owner's incarnation when first sent
	idx      []int  // positions in parent.results
	items    []StartItem
	ids      []ChildID
	check    bool
	lastSend Instant
	resends  int // retransmissions so far (backoff.go)
	done     bool
	// queued: a part of a large sub-request not sent yet (subparts.go).
	queued bool
}

func newPendingTable(max int) *pendingTable {
	return &pendingTable{max: max, reqs: map[uint64]*pendingReq{}, bySeq: map[uint64]*subReq{}}
}

// Request submits a local client request. The answer arrives as a Reply
// with the same ID in a later (or this) Ready batch — always, even if only
// as a timeout.
func (n *Node) Request(now Instant, r Request) {
	n.advance(now)
	defer n.finish()
	rep := Reply{ID: r.ID, Op: r.Op}
	fail := func(err error) { rep.Err = err; n.reply(rep) }
	if n.leaving || n.left {
		fail(ErrShuttingDown)
		return
	}
	if err := n.cfg.Limits.CheckRequest(r); err != nil {
		fail(err)
		return
	}
	switch r.Op {
	case OpStart:
		n.requestStart(r)
	case OpStop:
		n.requestStop(r)
	case OpLookup:
		n.requestLookup(r)
	case OpTerminate:
		n.requestTerminate(r)
	case OpRedistribute:
		n.requestRedistribute(r)
	case OpWhichGlobal:
		n.requestWhichGlobal(r)
	case OpCordon, OpUncordon:
		n.requestCordon(r)
	default:
		fail(fmt.Errorf("unknown operation %d", r.Op))
	}
}

func (n *Node) timeoutOf(d time.Duration) time.Duration {
	if d <= 0 {
		return n.cfg.Timing.RequestTimeout
	}
	return d
}

func (n *Node) requestStart(r Request) {
	rep := Reply{ID: r.ID, Op: r.Op}
	if len(r.Specs) == 0 {
		rep.Err = ErrNoChildren
		n.reply(rep)
		return
	}
	for _, s := range r.Specs {
		if err := s.Validate(); err != nil {
			rep.Err = err
			n.reply(rep)
			return
		}
	}
	if err := n.validateGuided(r.Specs, r.Start.ChildMapping); err != nil {
		rep.Err = err
		n.reply(rep)
		return
	}
	if n.quorum.partitioned {
		rep.Err = ErrPartitioned
		n.reply(rep)
		return
	}
	if len(n.ring.nodes) == 0 && n.cfg.Distribution.Kind != Guided {
		rep.Err = fmt.Errorf("%w: every member is cordoned", ErrNoUncordonedNode)
		n.reply(rep)
		return
	}
	if !r.Start.SkipCheckExisting {
		var dup []ChildID
		for _, s := range r.Specs {
			if _, ok := n.reg.active(s.ID); ok {
				dup = append(dup, s.ID)
			}
		}
		if len(dup) > 0 {
			rep.Err = fmt.Errorf("%w: %v", ErrAlreadyStarted, dup)
			for _, id := range dup {
				rep.Results = append(rep.Results, ChildResult{ID: id, Err: Code(ErrAlreadyStarted), Detail: LocalCheckDetail})
			}
			n.reply(rep)
			return
		}
	}
	p := n.newPending(r, len(r.Specs), r.Start.Timeout)
	if p == nil {
		return
	}
	seen := make(map[ChildID]bool, len(r.Specs))
	var x ownerIndex
	of := make([]int32, len(r.Specs)) // each child's owner number; -1: a repeat
	for i, s := range r.Specs {
		p.results[i].ID = s.ID
		if seen[s.ID] {
			p.results[i].Err = Code(ErrAlreadyStarted)
			p.results[i].Detail = ErrDuplicateID.Error()
			p.open--
			of[i] = -1
			continue
		}
		seen[s.ID] = true
		of[i] = int32(x.add(n.startOwner(s.ID, r.Start.ChildMapping)))
	}
	gs := x.groups(p, OpStart, !r.Start.SkipCheckExisting)
	for i, s := range r.Specs {
		if of[i] < 0 {
			continue
		}
		g := gs[of[i]]
		g.idx = append(g.idx, i)
		item := StartItem{Spec: s, Metadata: r.Start.Metadata}
		if r.Start.ChildMapping != nil {
			item.Pinned = append([]NodeID(nil), r.Start.ChildMapping[s.ID]...)
		}
		g.items = append(g.items, item)
	}
	n.dispatchSorted(p, byOwner(gs))
	if !r.Start.Await {
		n.reply(Reply{ID: r.ID, Op: r.Op, Initiated: true})
	}
}

// LocalCheckDetail marks results refused by the caller's local registry
// check (check-existing), which is eventually consistent.
const LocalCheckDetail = "local registry check"

func (n *Node) requestStop(r Request) {
	n.routeIDs(r, OpStop, r.Stop.Timeout, r.Stop.Await)
}

func (n *Node) requestLookup(r Request) {
	if len(r.IDs) == 0 {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: ErrNoChildren})
		return
	}
	if r.Consistency == Local {
		rep := Reply{ID: r.ID, Op: r.Op}
		for _, id := range r.IDs {
			rep.Results = append(rep.Results, n.lookupResult(id))
		}
		n.reply(rep)
		return
	}
	n.routeIDs(r, OpLookup, r.Timeout, true)
}

// routeIDs sends an id-based request (stop, terminate, lookup) to the owners.
func (n *Node) routeIDs(r Request, op Op, timeout time.Duration, await bool) {
	if len(r.IDs) == 0 {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: ErrNoChildren})
		return
	}
	if n.quorum.partitioned {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: ErrPartitioned})
		return
	}
	p := n.newPending(r, len(r.IDs), timeout)
	if p == nil {
		return
	}
	var x ownerIndex
	of := make([]int32, len(r.IDs)) // each child's owner number
	for i, id := range r.IDs {
		p.results[i].ID = id
		of[i] = int32(x.add(n.ownerOf(id)))
	}
	gs := x.groups(p, op, false)
	for i, id := range r.IDs {
		g := gs[of[i]]
		g.idx = append(g.idx, i)
		g.ids = append(g.ids, id)
	}
	n.dispatchSorted(p, byOwner(gs))
	if !await {
		n.reply(Reply{ID: r.ID, Op: r.Op, Initiated: true})
	}
}

func (n *Node) newPending(r Request, size int, timeout time.Duration) *pendingReq {
	if len(n.pending.reqs) >= n.pending.max {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: ErrTooManyPending})
		return nil
	}
	if _, dup := n.pending.reqs[r.ID]; dup {
		n.reply(Reply{ID: r.ID, Op: r.Op, Err: fmt.Errorf("request id %d already pending", r.ID)})
		return nil
	}
	p := &pendingReq{req: r, deadline: n.now.Add(n.timeoutOf(timeout)), results: make([]ChildResult, size), open: size}
	n.pending.reqs[r.ID] = p
	return p
}

// dispatch sends each group to its owner, handling local ones in place.
// A group of more than subPartItems children goes in parts through its
// owner's window (subparts.go).
func (n *Node) dispatch(p *pendingReq, groups map[NodeID]*subReq, owners []NodeID) {
	gs := make([]*subReq, len(owners))
	for k, o := range owners {
		gs[k] = groups[o]
	}
	n.dispatchSorted(p, gs)
}

// dispatchSorted is dispatch of groups listed in their owners' order.
func (n *Node) dispatchSorted(p *pendingReq, groups []*subReq) {
	for _, g := range groups {
		parts := splitSub(g)
		if parts == nil {
			parts = []*subReq{g}
		}
		for _, part := range parts {
			part.seq = n.seq()
			p.subs = append(p.subs, part)
			n.pending.bySeq[part.seq] = part
		}
	}
	// Remote owners' parts go first: their messages leave ahead of the
	// local owner's replication round, and the local part, executed
	// in place, no longer delays them within the Ready.
	for _, local := range [2]bool{false, true} {
		for _, g := range p.subs {
			if (g.owner == n.cfg.Name) != local {
				continue
			}
			if g.queued {
				n.queuePart(g)
				continue
			}
			n.sendSub(g)
		}
	}
	n.pumpParts()
	n.completeIfDone(p)
}

func (n *Node) sendSub(g *subReq) {
	g.lastSend = n.now
	if g.toInc == 0 {
		if s, ok := n.members.members[g.owner]; ok {
			g.toInc = s.Incarnation
		}
	}
	m := Message{Kind: MsgRequest, Seq: g.seq, Op: g.op, Items: g.items, IDs: g.ids, CheckExisting: g.check, Origin: n.cfg.Name, OriginInc: n.cfg.Incarnation, ToInc: g.toInc}
	if g.owner == n.cfg.Name {
		m.From, m.Inc, m.Hub = n.cfg.Name, n.cfg.Incarnation, n.cfg.HubID
		n.onRoutedRequest(m)
		return
	}
	n.sent.SubRequests++
	n.sent.SubItems += len(g.items) + len(g.ids)
	n.send(g.owner, m)
}

// onResult records results of a routed sub-request.
func (n *Node) onResult(seq uint64, from NodeID, results []ChildResult, errc ErrCode) {
	g, ok := n.pending.bySeq[seq]
	if !ok || g.done {
		return
	}
	if errc == errReroute {
		n.rerouteSub(g) // the owner owns not every child of it (reroute.go)
		return
	}
	p := g.parent
	if len(results) != len(g.idx) {
		return // malformed answer: keep waiting (timeout reports it)
	}
	g.done = true
	delete(n.pending.bySeq, seq)
	for i, pos := range g.idx {
		res := results[i]
		res.ID = p.results[pos].ID
		p.results[pos] = res
		p.open--
	}
	n.completeIfDone(p)
}

func (n *Node) completeIfDone(p *pendingReq) {
	if p.open > 0 || p.which != nil || n.pending.reqs[p.req.ID] != p {
		return // open, or already answered (a local owner answers in dispatch)
	}
	n.finishPending(p)
}

func (n *Node) finishPending(p *pendingReq) {
	delete(n.pending.reqs, p.req.ID)
	for _, g := range p.subs {
		delete(n.pending.bySeq, g.seq)
	}
	r := p.req
	await := r.Op == OpLookup || r.Op == OpWhichGlobal || r.Op == OpTerminate || r.Op == OpCordon || r.Op == OpUncordon || (r.Op == OpStart && r.Start.Await) || (r.Op == OpStop && r.Stop.Await)
	if !await {
		return
	}
	rep := Reply{ID: r.ID, Op: r.Op, Results: p.results}
	if r.Op == OpWhichGlobal {
		rep.Results = nil
		rep.Global = p.global
		rep.Unreachable = append(rep.Unreachable, sortedKeys(p.which)...)
		for _, node := range n.members.probeTargets() {
			if !p.which[node] {
				rep.Unreachable = append(rep.Unreachable, node)
			}
		}
		rep.Unreachable = sortedNodes(rep.Unreachable)
	}
	if r.Op == OpStart && r.Start.OnFailure == Rollback {
		var started []ChildID
		failed := false
		for _, res := range p.results {
			if res.Err == "" {
				started = append(started, res.ID)
			} else {
				failed = true
			}
		}
		if failed {
			rep.RolledBack = true
			rep.Err = ErrRolledBack
			if len(started) > 0 {
				n.rollback(started)
			}
		}
	}
	n.reply(rep)
}

// rollback stops children of a failed start; it is not awaited.
func (n *Node) rollback(ids []ChildID) {
	n.nextRollback++
	n.routeIDs(Request{ID: rollbackIDBase + n.nextRollback, Op: OpStop, IDs: ids}, OpStop, 0, false)
	// routeIDs replies "initiated" for the internal request; drop it.
	n.dropReply(rollbackIDBase + n.nextRollback)
}

// rollbackIDBase keeps internal request ids apart from the driver's.
const rollbackIDBase = 1 << 62

func (n *Node) dropReply(id uint64) {
	out := n.out.Replies[:0]
	for _, r := range n.out.Replies {
		if r.ID != id {
			out = append(out, r)
		}
	}
	n.out.Replies = out
}

// retryRequests resends unanswered sub-requests: the owner deduplicates.
// A sub-request this node owns is applied at once, and applying it can
// answer any pending request (a cordon releases a starting child and so
// answers its start): every request is looked up again before it is
// walked, and the walk of one stops once it is answered.
func (n *Node) retryRequests() {
	for _, id := range sortedReqIDs(n.pending.reqs) {
		p, ok := n.pending.reqs[id]
		if !ok {
			continue // answered while an earlier one was retried
		}
		for _, g := range p.subs {
			if n.pending.reqs[id] != p {
				break // answered by one of its own sub-requests
			}
			if g.done || g.queued || g.op == OpWhichGlobal || !retryDue(n.now, g.lastSend, g.resends, retryIntervalFor(len(g.idx), n.cfg.Timing.RetryInterval)) {
				continue // which-global waits for its deadline instead
			}
			if g.owner == n.cfg.Name {
				if _, running := n.repl.ops[reqKey{n.cfg.Name, n.cfg.Incarnation, g.seq}]; !running {
					g.resends++
					n.sendSub(g) // not accepted yet (still syncing)
				}
				continue
			}
			if !n.members.alive(g.owner) {
				// The owner is gone: the outcome is unknown.
				n.failSub(g, ErrNodeDown)
				continue
			}
			g.resends++
			n.sent.SubResends++
			n.sent.SubItemsResent += len(g.items) + len(g.ids)
			n.sendSub(g)
		}
	}
}

func (n *Node) failSub(g *subReq, err error) {
	if g.done {
		return
	}
	g.done = true
	p := g.parent
	delete(n.pending.bySeq, g.seq)
	for _, pos := range g.idx {
		p.results[pos].Err = Code(err)
		p.results[pos].Detail = fmt.Sprintf("owner %s", g.owner)
		p.open--
	}
	n.completeIfDone(p)
}

// expireRequests answers requests whose deadline passed with ErrTimeout
// for every child still unanswered. Answering one may answer others (a
// rollback stops children whose starts are pending here), so each is
// looked up again.
func (n *Node) expireRequests() {
	for _, id := range sortedReqIDs(n.pending.reqs) {
		p, ok := n.pending.reqs[id]
		if !ok || n.now < p.deadline {
			continue
		}
		if p.which != nil {
			n.finishPending(p)
			continue
		}
		for _, g := range p.subs {
			n.failSub(g, ErrTimeout)
		}
		if _, still := n.pending.reqs[id]; still {
			n.finishPending(p)
		}
	}
}

func sortedReqIDs(m map[uint64]*pendingReq) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortU64(out)
	return out
}

func (n *Node) requestWhichGlobal(r Request) {
	p := n.newPending(r, 0, r.Timeout)
	if p == nil {
		return
	}
	p.which = map[NodeID]bool{}
	p.global = []NodeChildren{n.WhichChildrenLocal()}
	seq := n.seq()
	p.subs = append(p.subs, &subReq{parent: p, seq: seq, op: OpWhichGlobal})
	n.pending.bySeq[seq] = p.subs[0]
	for _, peer := range n.members.peers() {
		p.which[peer] = true
		n.send(peer, Message{Kind: MsgWhich, Seq: seq})
	}
	if len(p.which) == 0 {
		p.which = nil
		n.finishPending(p)
	}
}

func (n *Node) onWhichReply(seq uint64, from NodeID, children []LocalChild) {
	g, ok := n.pending.bySeq[seq]
	if !ok || g.parent.which == nil || !g.parent.which[from] {
		return
	}
	p := g.parent
	if n.cfg.Broken.WhichGlobalDropsChild && len(children) > 0 {
		children = children[1:]
	}
	delete(p.which, from)
	p.global = append(p.global, NodeChildren{Node: from, Children: children})
	sortNodeChildren(p.global)
	if len(p.which) == 0 {
		p.which = nil
		n.finishPending(p)
	}
}

// lookupResult answers a lookup from the local registry.
func (n *Node) lookupResult(id ChildID) ChildResult {
	e := n.reg.view(id, n.members.view, n.members.incarnation)
	if e == nil || e.Stopped {
		return ChildResult{ID: id, Err: Code(ErrNotFound)}
	}
	return ChildResult{ID: id, Nodes: e.Nodes(), Epoch: e.Epoch, Metadata: e.Metadata}
}
