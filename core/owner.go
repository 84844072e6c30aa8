package core

import (
	"cmp"
	"fmt"
	"slices"
)

// ownerOp is a routed request being executed by this node as the owner of
// its children. Results are sent once every new registry version has been
// acknowledged by every alive peer (replicate before acknowledge) and every
// local start has reported.
type ownerOp struct {
	key       reqKey
	op        Op
	results   []ChildResult
	waitStart map[ChildID]int // child -> result index awaiting a local start report
	waitAcks  map[NodeID]bool
	acked     []NodeID // peers that acknowledged the round (strict_acks.go)
	replSeq   uint64
	entries   []Entry
	// ids are the children the request names but the owner did not write
	// (answered from its registry): each peer acknowledges only if it
	// holds no newer version of them (confirmAgainst), so reads are
	// confirmed by the same round as writes.
	ids []ChildID
	// wrote: the op wrote new versions (entries holds more than the
	// current versions of ids).
	wrote    bool
	lastSend Instant
	resends  int // retransmissions so far (backoff.go)
	deadline Instant
	// deferred are guided children whose local start waits for the
	// round's acknowledgements (guided_conflict.go).
	deferred []ChildID
}

type reqKey struct {
	origin NodeID
	inc    uint64
	seq    uint64
}

// replicator tracks owner operations in flight and recently answered ones
// (to answer retransmitted requests without executing them twice).
type replicator struct {
	ops          map[reqKey]*ownerOp
	waitingStart map[ChildID]*ownerOp // child -> op awaiting its local start
	bySeq        map[uint64]*ownerOp
	done         map[reqKey]doneResults // kept compactly (donetable.go)
	doneFIFO     []reqKey
	// replicating maps a child to the op whose new version of it awaits
	// acknowledgements.
	replicating map[ChildID]*ownerOp
	// forwarded remembers where this node forwarded a request (bounded
	// like done), so retransmissions follow the same path.
	forwarded   map[reqKey]NodeID
	forwardFIFO []reqKey
	// forwardedInc is the incarnation of the forward target when this
	// node first forwarded the request (reforward).
	forwardedInc map[reqKey]uint64
	// deferred maps a guided child to the op whose round its local start
	// waits for (guided_conflict.go).
	deferred map[ChildID]*ownerOp
}

// maxDoneResults bounds the table of answered requests kept for dedup.
const maxDoneResults = 4096

func newReplicator() *replicator {
	return &replicator{ops: map[reqKey]*ownerOp{}, waitingStart: map[ChildID]*ownerOp{}, bySeq: map[uint64]*ownerOp{}, done: map[reqKey]doneResults{}, forwarded: map[reqKey]NodeID{}, forwardedInc: map[reqKey]uint64{}, replicating: map[ChildID]*ownerOp{}, deferred: map[ChildID]*ownerOp{}}
}

func (n *Node) onRoutedRequest(m Message) {
	key := reqKey{m.Origin, m.OriginInc, m.Seq}
	if m.Origin == "" {
		return
	}
	if m.ToInc != 0 && m.ToInc != n.cfg.Incarnation {
		// Sent to an earlier incarnation of this node, which may have
		// applied it: the outcome is unknown.
		res := make([]ChildResult, len(m.Items)+len(m.IDs))
		for i := range res {
			res[i].Err = Code(ErrNodeDown)
			res[i].Detail = "owner restarted"
		}
		n.deliverResult(key, fillIDs(res, m))
		return
	}
	if res, ok := n.doneResults(key, m); ok { // donetable.go
		if isRerouteRefusal(res) {
			n.answerReroute(key) // refused before: refused again (reroute.go)
			return
		}
		n.deliverResult(key, res)
		return
	}
	if _, busy := n.repl.ops[key]; busy {
		n.sent.BusyDuplicates++
		return
	}
	if !n.ready() && !n.cfg.Broken.SkipSync {
		return // the origin retries until this node has synced
	}
	// A child whose new version is still being replicated is not read or
	// written again until that version is acknowledged: answering from an
	// unacknowledged version would expose a write that may yet be lost.
	// The origin retransmits, so the request is simply not taken now.
	if len(n.repl.replicating) > 0 { // none in flight: no lookup per child
		for _, id := range requestIDs(m) {
			if _, busy := n.repl.replicating[id]; busy {
				return
			}
		}
	}
	// A retransmission of a request this node forwarded goes to the same
	// node again, even after this node lost quorum or began leaving: the
	// forward target may have applied it, so refusing it here with a
	// definite "partitioned" would deny a write that happened.
	if to, ok := n.repl.forwarded[key]; ok {
		if !n.members.alive(to) {
			res := make([]ChildResult, len(m.Items)+len(m.IDs))
			for i := range res {
				res[i].Err = Code(ErrNodeDown)
				res[i].Detail = "forwarded to " + string(to)
			}
			n.deliverResult(key, fillIDs(res, m))
			return
		}
		if m.Hops >= maxHops {
			// A forwarding loop: two nodes whose views disagreed each
			// forwarded it to the other and remember it. Forwarding it on
			// would bounce it between them forever (every duplicate
			// multiplying it: a retransmission storm, messages seed 77 at
			// 7c91c03). Dropped here, each retransmission of the origin
			// makes at most maxHops hops, and its deadline ends it.
			return
		}
		n.reforward(key, m, to)
		return
	}
	if n.quorum.partitioned || n.leaving {
		err := ErrPartitioned
		if n.leaving {
			err = ErrShuttingDown
		}
		k := len(m.Items) + len(m.IDs)
		res := make([]ChildResult, k)
		for i := range res {
			res[i].Err = Code(err)
		}
		// A refusal is an answer like any other: remembered, so a
		// retransmission that arrives after quorum returned (the refusal
		// still on its way to the origin) gets the same refusal and is
		// never applied behind a "partitioned" the client was told.
		n.rememberDone(key, fillIDs(res, m))
		n.deliverResult(key, res)
		return
	}
	// Forward children this node does not own (views differ after a join
	// or leave); the new owner answers the origin directly.
	// owned: every child's owner is this node, as ownsEvery finds.
	owned := false
	if m.Hops < maxHops && m.Op != OpCordon && m.Op != OpUncordon { // a cordon is for its target, never forwarded
		owner, mixed := n.foreignOwner(m)
		if owner != "" && !mixed {
			n.rememberForward(key, owner)
			n.hook(HookForwardedMigration, owner, requestIDs(m), "")
			n.forward(m, owner)
			return
		}
		// Neither forwarded nor mixed: one owner, this node (or no
		// child). ownsEvery would ask every child's owner again.
		owned = !mixed
	}
	if !owned && !n.ownsEvery(m) {
		n.refuseNotOwned(key) // one owner per child (reroute.go)
		return
	}
	op := &ownerOp{key: key, op: m.Op, deadline: n.now.Add(n.cfg.Timing.RequestTimeout)}
	switch m.Op {
	case OpStart:
		n.ownerStart(op, m)
	case OpStop:
		n.ownerStop(op, m, "stopped")
	case OpTerminate:
		n.ownerStop(op, m, "terminated")
	case OpCordon, OpUncordon:
		n.ownerCordon(op)
	case OpLookup:
		op.results = make([]ChildResult, len(m.IDs))
		for i, id := range m.IDs {
			op.results[i] = n.lookupResult(id)
		}
	default:
		return
	}
	n.addCurrentVersions(op, requestIDs(m))
	n.repl.ops[key] = op
	n.replicateFor(op)
	n.maybeFinishOwnerOp(op)
}

func (n *Node) forward(m Message, to NodeID) {
	m.Hops++
	m.ToInc = 0
	if s, ok := n.members.members[to]; ok {
		m.ToInc = s.Incarnation // a restarted target answers "node down"
	}
	n.send(to, m)
}

// reforward sends a retransmission of a request this node forwarded to
// the node it went to first, addressed to the incarnation that got it
// then. forward addresses the target's current incarnation: when the
// target had restarted in between, the retransmission reached its new
// incarnation as a request it had never seen, and it was applied again
// after the earlier incarnation had applied it (its start written, its
// answer lost in the crash): the client was told already_started for a
// start that only it had issued, and a lookup had seen the child absent
// in between (mix strict seed 14156 of the long sweep, "linearizability
// illegal"; TestReforwardAfterTargetRestartIsNodeDown). Now the new
// incarnation answers "node down" (onRoutedRequest's ToInc check): the
// outcome is unknown, as for a retransmission the origin sends itself.
func (n *Node) reforward(key reqKey, m Message, to NodeID) {
	inc, ok := n.repl.forwardedInc[key]
	if !ok {
		n.forward(m, to)
		return
	}
	m.Hops++
	m.ToInc = inc
	n.send(to, m)
}

func (n *Node) rememberForward(key reqKey, to NodeID) {
	n.repl.forwarded[key] = to
	if s, ok := n.members.members[to]; ok {
		n.repl.forwardedInc[key] = s.Incarnation
	}
	n.repl.forwardFIFO = append(n.repl.forwardFIFO, key)
	if len(n.repl.forwardFIFO) > maxDoneResults {
		delete(n.repl.forwarded, n.repl.forwardFIFO[0])
		delete(n.repl.forwardedInc, n.repl.forwardFIFO[0])
		n.repl.forwardFIFO = n.repl.forwardFIFO[1:]
	}
}

func requestIDs(m Message) []ChildID {
	if len(m.IDs) > 0 {
		return m.IDs
	}
	out := make([]ChildID, len(m.Items))
	for i, it := range m.Items {
		out[i] = it.Spec.ID
	}
	return out
}

func fillIDs(res []ChildResult, m Message) []ChildResult {
	for i, id := range requestIDs(m) {
		res[i].ID = id
	}
	return res
}

// foreignOwner returns the single other node that owns every child of m,
// if all children belong to one other node; mixed reports disagreement.
func (n *Node) foreignOwner(m Message) (NodeID, bool) {
	var owner NodeID
	for i, id := range requestIDs(m) {
		var o NodeID
		if m.Op == OpStart {
			var pin []NodeID
			if i < len(m.Items) {
				pin = m.Items[i].Pinned
			}
			o = n.ownerFor(id, pin)
		} else {
			o = n.ownerOf(id)
		}
		if i == 0 {
			owner = o
		} else if o != owner {
			return "", true
		}
	}
	if owner == n.cfg.Name {
		return "", false
	}
	return owner, false
}

func (n *Node) ownerStart(op *ownerOp, m Message) {
	op.results = make([]ChildResult, len(m.Items))
	op.waitStart = make(map[ChildID]int, len(m.Items)) // sized once: the owner starts what it owns
	n.hook(HookPreChildrenStart, n.cfg.Name, requestIDs(m), "")
	// Sized once (startcost.go): the new versions, the results' nodes and
	// the start effects (the owner runs what it owns).
	op.entries = make([]Entry, 0, len(m.Items))
	n.out.Effects = slices.Grow(n.out.Effects, len(m.Items))
	n.reserveForStart(len(m.Items))                              // reserve.go
	n.pendingClaims = slices.Grow(n.pendingClaims, len(m.Items)) // the claims of those it starts here
	n.batch.expectClaims(len(m.Items))                           // and their hooks' list (changes.go)
	var nodes []NodeID
	for i, it := range m.Items {
		id := it.Spec.ID
		op.results[i].ID = id
		prev, active := n.reg.epochOf(id) // one lookup for both questions
		if active {
			op.results[i].Err = Code(ErrAlreadyStarted)
			op.results[i].Nodes = n.reg.view(id, n.members.view, n.members.incarnation).Nodes()
			op.results[i].Epoch = prev
			continue
		}
		op.entries = append(op.entries, Entry{Spec: it.Spec, Metadata: it.Metadata, Epoch: n.nextEpoch(prev), Holder: n.cfg.Name, By: n.cfg.Name, Pinned: it.Pinned})
		e := &op.entries[len(op.entries)-1]
		n.storeEntry(e)
		var placement []NodeID
		placement, nodes = n.appendPlacement(nodes, e, len(m.Items)-i)
		op.results[i].Epoch = e.Epoch
		op.results[i].Nodes = placement
		if containsNode(placement, n.cfg.Name) && len(e.Pinned) > 0 {
			n.deferGuidedStart(op, e, i)
		} else if containsNode(placement, n.cfg.Name) {
			op.waitStart[id] = i
			n.repl.waitingStart[id] = op
			n.startLocal(e, nil)
		}
	}
	if len(op.entries) == 0 {
		op.entries = nil // as before it was sized: nothing written
	}
}

// ownerStop tombstones every registered child of m with reason (stop and
// terminate differ only in it).
func (n *Node) ownerStop(op *ownerOp, m Message, reason string) {
	op.results = make([]ChildResult, len(m.IDs))
	op.entries = make([]Entry, 0, len(m.IDs)) // sized once: every named child, in the common case
	var cur Entry
	// One node per result in the common case (singularity); a result
	// with more grows the buffer (stopcost.go).
	nodes := make([]NodeID, 0, len(m.IDs))
	var src viewSources
	src.load(n.reg, n.members.view, n.members.incarnation)
	n.reg.reserveTombstones(len(m.IDs)) // registry.go
	local := 0                          // children this node runs: reconcile stops them in this input
	for i, id := range m.IDs {
		op.results[i].ID = id
		var active bool
		if active, op.results[i].Nodes, nodes = n.reg.stopping(&cur, nodes, id, &src); !active { // stopcost.go
			op.results[i].Err = Code(ErrNotFound)
			continue
		}
		if containsNode(op.results[i].Nodes, n.cfg.Name) {
			local++
		}
		op.results[i].Epoch = cur.Epoch // the generation this stop ends
		op.entries = append(op.entries, Entry{})
		n.writeTombstone(&op.entries[len(op.entries)-1], &cur, reason) // stopcost.go
	}
	if len(op.entries) == 0 {
		op.entries = nil // as before it was sized: nothing written
	}
	n.out.Effects = slices.Grow(n.out.Effects, local)     // their stop effects, sized once (startcost.go)
	n.pendingClaims = slices.Grow(n.pendingClaims, local) // and their claims' retractions
	n.batch.expectClaims(local)                           // and hooks (changes.go)
}

// tombstone writes a stopped version of e (epoch+1, so it beats any
// concurrent takeover of the same generation) and stops the local
// instance.
func (n *Node) tombstone(e *Entry, reason string) *Entry {
	t := new(Entry)
	n.writeTombstone(t, e, reason)
	return t
}

// addCurrentVersions records in op.ids the children op names but did not
// write (a lookup, a not-found stop, an already-started start): answers
// read from this node's registry. Their current versions join op.entries,
// so the replication round also confirms them.
func (n *Node) addCurrentVersions(op *ownerOp, ids []ChildID) {
	op.wrote = len(op.entries) > 0
	if wroteEvery(op.entries, ids) {
		return // nothing only read: no set needed (startcost.go)
	}
	seen := make(map[ChildID]bool, len(op.entries)+len(ids))
	for i := range op.entries {
		seen[op.entries[i].Spec.ID] = true
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		op.ids = append(op.ids, id)
		if e, ok := n.reg.get(id); ok {
			cp := *e
			cp.Replicas = nil
			op.entries = append(op.entries, cp)
		}
	}
}

// replicateFor sends the op's entry versions (new ones and the current
// ones of the children it only read) to every alive peer and waits for
// their acknowledgements, before any answer, reads included. Views differ
// while a heal is noticed link by link: a node that does not see the
// rejoined owner yet still owns the child in its own view, and answering
// from its registry alone would miss a write the real owner acknowledged
// after replicating to the peers it saw. Those peers hold the newer version
// and refuse to acknowledge (confirmAgainst), so the stale owner learns it
// and the request is retried instead of answered. An op that names no
// child and writes nothing still waits for an empty round when it has
// peers (a read barrier against an owner cut off but not yet aware).
func (n *Node) replicateFor(op *ownerOp) {
	if len(op.entries) == 0 && len(n.members.peers()) == 0 {
		return
	}
	op.waitAcks = map[NodeID]bool{}
	op.replSeq = n.seq()
	n.repl.bySeq[op.replSeq] = op
	for i := range op.entries {
		n.repl.replicating[op.entries[i].Spec.ID] = op
	}
	if n.cfg.Broken.AckBeforeReplicate {
		// Test-only bug: acknowledge without replicating; peers learn the
		// entry only from the next anti-entropy round.
		op.waitAcks = nil
		return
	}
	for _, p := range n.members.peers() {
		op.waitAcks[p] = true
	}
	n.sendReplication(op)
}

func (n *Node) sendReplication(op *ownerOp) {
	op.lastSend = n.now
	for _, p := range sortedKeys(op.waitAcks) {
		n.send(p, Message{Kind: MsgReplicate, Entries: op.entries, IDs: op.ids, Seq: op.replSeq})
	}
}

// errStaleVersion is a peer's refusal to acknowledge an owner's
// replication round: it holds a newer version of one of the round's
// children (sent back to the owner just before).
const errStaleVersion ErrCode = "stale_version"

// confirmAgainst returns this node's versions of m's children that the
// owner's round does not cover: a version newer than the one m carries, or
// a live entry where m carries none. Called after m's entries are applied.
func (n *Node) confirmAgainst(m Message) []Entry {
	if len(m.IDs) == 0 {
		return nil // a round of writes only (every start and stop of live children): no set of its entries
	}
	sent := make(map[ChildID]*Entry, len(m.Entries))
	for i := range m.Entries {
		sent[m.Entries[i].Spec.ID] = &m.Entries[i]
	}
	var newerHere []Entry
	for _, id := range m.IDs {
		have, ok := n.reg.get(id)
		if !ok {
			continue
		}
		o, sentOne := sent[id]
		if (!sentOne && !have.Stopped) || (sentOne && newer(have, o)) {
			cp := *have
			cp.Replicas = nil
			newerHere = append(newerHere, cp)
		}
	}
	return newerHere
}

// abandonOwnerOp drops op, which wrote nothing, without answering: a peer
// refused its round because this node's registry was stale. The origin retransmits the
// request, which then runs against the newer versions the peer sent.
func (n *Node) abandonOwnerOp(op *ownerOp) {
	delete(n.repl.ops, op.key)
	delete(n.repl.bySeq, op.replSeq)
	for i := range op.entries {
		if n.repl.replicating[op.entries[i].Spec.ID] == op {
			delete(n.repl.replicating, op.entries[i].Spec.ID)
		}
	}
	for id := range op.waitStart {
		if n.repl.waitingStart[id] == op {
			delete(n.repl.waitingStart, id)
		}
	}
	for _, id := range op.deferred {
		if n.repl.deferred[id] == op {
			delete(n.repl.deferred, id)
			n.markDirty(id)
		}
	}
}

// sendEntryBatches sends entries, unacknowledged, in one logical message
// (split into parts if large; anti-entropy and best-effort pushes).
func (n *Node) sendEntryBatches(to NodeID, entries []Entry) {
	if len(entries) > 0 {
		n.send(to, Message{Kind: MsgReplicate, Entries: entries})
	}
}

// onReplicateAck counts a peer's acknowledgement of round seq; a refusal
// (errStaleVersion) names in conflicts the written children whose write
// met another owner's version there (writeConflicts).
func (n *Node) onReplicateAck(from NodeID, seq uint64, refused ErrCode, conflicts []ChildID) {
	op, ok := n.repl.bySeq[seq]
	if !ok {
		return
	}
	if refused == errStaleVersion {
		if !op.wrote {
			n.abandonOwnerOp(op) // nothing applied: the retry reads again
			return
		}
		// The writes are acknowledged (the peer applied them) unless they
		// conflicted with another owner's; what was read may be stale, so
		// its outcome is unknown, never a stale definite answer.
		n.onWriteConflicts(op, conflicts)
		n.markReadsUnknown(op)
	}
	n.noteAck(op, from)
	delete(op.waitAcks, from)
	n.maybeFinishOwnerOp(op)
}

// markReadsUnknown: a peer refused op's round with newer versions of what
// op only read. The writes are acknowledged (the peer applied them); what
// was read may be stale, so its outcome is unknown, never a stale
// definite answer.
func (n *Node) markReadsUnknown(op *ownerOp) {
	read := make(map[ChildID]bool, len(op.ids))
	for _, id := range op.ids {
		read[id] = true
	}
	for i := range op.results {
		if read[op.results[i].ID] {
			op.results[i].Err = Code(ErrTimeout)
			op.results[i].Detail = "a peer holds a newer version"
			op.results[i].Nodes = nil
		}
	}
}

func (n *Node) retryReplication() {
	for _, op := range n.sortedOwnerOps() {
		for _, p := range sortedKeys(op.waitAcks) {
			if !n.members.alive(p) {
				delete(op.waitAcks, p) // down peers no longer count
			}
		}
		if n.now >= op.deadline {
			// Give up waiting: the outcome is unknown (ErrTimeout), never
			// "ok" for a version some peer has not acknowledged; entries
			// stay and converge by anti-entropy.
			for id, i := range op.waitStart {
				op.results[i].Err = Code(ErrTimeout)
				delete(n.repl.waitingStart, id)
			}
			if len(op.waitAcks) > 0 {
				for i := range op.results {
					if op.results[i].Err == "" {
						op.results[i].Err = Code(ErrTimeout)
						op.results[i].Detail = "replication not acknowledged"
					}
				}
			}
			op.waitStart = nil
			op.waitAcks = nil
			n.maybeFinishOwnerOp(op)
			continue
		}
		if len(op.waitAcks) > 0 && retryDue(n.now, op.lastSend, op.resends, retryIntervalFor(len(op.entries)+len(op.ids), n.cfg.Timing.RetryInterval)) {
			op.resends++
			n.sent.RoundResends += len(op.waitAcks)
			n.sent.EntriesResent += len(op.waitAcks) * len(op.entries)
			n.sendReplication(op)
		}
		n.maybeFinishOwnerOp(op)
	}
}

// sortedOwnerOps returns the owner operations in flight ordered by their
// key (origin, incarnation, sequence), which tells every two apart. With
// none it returns nil without allocating: retryReplication asks at every
// tick, and sort.Slice's swapper and boxed closure were 12% of
// BenchmarkSim5Nodes's allocations.
func (n *Node) sortedOwnerOps() []*ownerOp {
	if len(n.repl.ops) == 0 {
		return nil
	}
	out := make([]*ownerOp, 0, len(n.repl.ops))
	for _, op := range n.repl.ops {
		out = append(out, op)
	}
	slices.SortFunc(out, func(a, b *ownerOp) int {
		if c := cmp.Compare(a.key.origin, b.key.origin); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key.inc, b.key.inc); c != 0 {
			return c
		}
		return cmp.Compare(a.key.seq, b.key.seq)
	})
	return out
}

// ownerStartReport completes the wait for a local start of id.
func (n *Node) ownerStartReport(id ChildID, err error, detail string) {
	op, ok := n.repl.waitingStart[id]
	if !ok {
		return
	}
	delete(n.repl.waitingStart, id)
	{
		i, ok := op.waitStart[id]
		if !ok {
			return
		}
		delete(op.waitStart, id)
		if err != nil {
			op.results[i].Err = Code(err)
			op.results[i].Detail = detail
			op.results[i].Nodes = nil
		}
		n.maybeFinishOwnerOp(op)
	}
}

func (n *Node) maybeFinishOwnerOp(op *ownerOp) {
	if len(op.waitAcks) == 0 && len(op.deferred) > 0 {
		n.startDeferred(op)
	}
	if len(op.waitStart) > 0 || len(op.waitAcks) > 0 {
		return
	}
	if _, ok := n.repl.ops[op.key]; !ok {
		return
	}
	delete(n.repl.ops, op.key)
	delete(n.repl.bySeq, op.replSeq)
	for i := range op.entries {
		if n.repl.replicating[op.entries[i].Spec.ID] == op {
			delete(n.repl.replicating, op.entries[i].Spec.ID)
		}
	}
	if n.quorum.partitioned || n.strictShortOfMajority(op) || n.majorityShortOfAcks(op) {
		// Quorum was lost while replicating (or, in strict mode, fewer
		// than a majority of the voters acknowledged): the new versions
		// may or may not survive the heal, so the outcome is unknown
		// (never "ok"). A lookup's "not found" too: it read a registry
		// no majority confirmed, which may miss a start another owner
		// had acknowledged (nontransitive strict seed 24428 of the long
		// sweep: n2, cut from n3, answered not-found for c9 that n3 had
		// started and n1 acknowledged; its round to n1 went unanswered).
		for i := range op.results {
			op.results[i].Err = Code(ErrTimeout)
			op.results[i].Detail = "quorum lost before acknowledgement"
		}
	}
	if op.op == OpStart {
		var ids []ChildID
		for _, r := range op.results {
			if r.Err == "" {
				ids = append(ids, r.ID)
			}
		}
		n.hook(HookPostChildrenStart, n.cfg.Name, ids, "")
	}
	n.rememberDone(op.key, op.results)
	n.deliverResult(op.key, op.results)
}

func (n *Node) rememberDone(key reqKey, res []ChildResult) {
	n.repl.done[key] = compactDone(res)
	n.repl.doneFIFO = append(n.repl.doneFIFO, key)
	if len(n.repl.doneFIFO) > maxDoneResults {
		old := n.repl.doneFIFO[0]
		n.repl.doneFIFO = n.repl.doneFIFO[1:]
		delete(n.repl.done, old)
	}
}

func (n *Node) deliverResult(key reqKey, res []ChildResult) {
	if key.origin == n.cfg.Name {
		n.onResult(key.seq, n.cfg.Name, append([]ChildResult(nil), res...), "")
		return
	}
	n.sent.Results++
	n.send(key.origin, Message{Kind: MsgResult, Seq: key.seq, ToInc: key.inc, Results: res})
}

func containsNode(ns []NodeID, x NodeID) bool {
	for _, n := range ns {
		if n == x {
			return true
		}
	}
	return false
}

// requestTerminate is ProcessHub's child_terminate, made safe for a
// cluster: the termination is routed to each child's owner like a stop
// (quorum-checked, replicated before it is acknowledged, so an owner
// lookup after it never finds the child) and always awaited. The
// tombstone's reason is "terminated". It answers per child: ok, not
// found, or an unknown outcome (timeout, node down).
func (n *Node) requestTerminate(r Request) {
	n.routeIDs(r, OpTerminate, r.Timeout, true)
}

func (n *Node) requestRedistribute(r Request) {
	rep := Reply{ID: r.ID, Op: r.Op}
	if r.Target != n.cfg.Name && !n.members.alive(r.Target) {
		rep.Err = fmt.Errorf("%w: %s", ErrUnknownNode, r.Target)
		n.reply(rep)
		return
	}
	ids := r.IDs
	if len(ids) == 0 {
		for _, s := range r.Specs {
			ids = append(ids, s.ID)
		}
	}
	var entries []Entry
	for _, id := range ids {
		e, ok := n.reg.active(id)
		if !ok || !containsNode(n.placement(e), r.Target) {
			continue
		}
		if _, running := n.reg.claim(r.Target, id); running {
			continue
		}
		entries = append(entries, *e)
	}
	if len(entries) == 0 {
		rep.Err = ErrNothingToRedistribute
		n.reply(rep)
		return
	}
	n.hook(HookPreNodesRedistribution, r.Target, ids, "redistribute")
	if r.Target == n.cfg.Name {
		n.dirty = true
	} else {
		n.sendEntryBatches(r.Target, entries)
		n.send(r.Target, n.syncRequest())
	}
	n.hook(HookPostNodesRedistribution, r.Target, ids, "redistribute")
	rep.Initiated = true
	n.reply(rep)
}
