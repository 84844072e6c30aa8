package core

import (
	"slices"
	"strings"
)

// Concurrent guided starts of one child with different mappings.
//
// A guided start is executed by the first node of its mapping, so two
// starts of one id whose mappings begin with different nodes run at two
// owners, and neither owner's registry check sees the other. Their
// replication rounds meet at the peers: every peer keeps the version that
// wins the merge (higher epoch, then By), so the cluster converges on one
// of the two. A peer that holds the winner refuses the loser's round for
// that child (errGuidedConflict, the child in the ack's IDs), and the
// loser answers its client ErrAlreadyStarted. Each owner's round reaches
// the other owner, which holds its own entry from the moment it took the
// request, so of two such starts at most one is acknowledged "ok"; the
// loser is refused, and the winner is acknowledged unless a third node
// took the loser's round first (then the winner's write conflicts there,
// core/conflict.go, and is answered with an unknown outcome). A peer that receives the
// loser's version first acknowledges it and takes the winner's when it
// comes; a pinned peer of the loser's mapping that started the loser's
// version stops it when it learns the winner.

// The owner of a guided start starts its own instance only once its round
// is acknowledged (deferred: the child's id is in replicator.deferred, and
// reconcile leaves it alone until then). The loser's round is refused, so
// its instance never starts, and the winner starts only after every peer,
// the loser included, holds the winner's version: even a single-node
// mapping never runs two instances of the child (the simulator asserts
// zero overlap in the classes without faults). A hashed child's owner
// needs no such wait: one owner serializes every start of an id.

// GuidedConflictDetail is the detail of an ErrAlreadyStarted result whose
// guided start lost to a concurrent start of the child with another
// mapping.
const GuidedConflictDetail = "started concurrently with another child mapping"

// errGuidedConflict is a peer's refusal of the guided starts named by the
// first Count of the ack's IDs: it holds a newer live version of the child
// with another mapping. The other IDs are conflicting writes
// (writeConflicts); the round's reads count as possibly stale, as with
// errStaleVersion.
const errGuidedConflict ErrCode = "guided_conflict"

// guidedStartsLost returns the children whose guided start in m (a
// round's live, pinned entry) lost here to a newer live version with a
// different mapping. Called after m's entries are applied. A newer version
// that descends from the start (a takeover, a restart) keeps its mapping
// and is not a conflict.
func (n *Node) guidedStartsLost(m Message) []ChildID {
	var lost []ChildID
	for i := range m.Entries {
		sent := &m.Entries[i]
		if sent.Stopped || len(sent.Pinned) == 0 {
			continue
		}
		have, ok := n.reg.active(sent.Spec.ID)
		if !ok || !newer(have, sent) || slices.Equal(have.Pinned, sent.Pinned) {
			continue
		}
		lost = append(lost, sent.Spec.ID)
	}
	return lost
}

// guidedRivals returns, before m (an owner's round) is applied, the
// children whose guided start in m meets this node's own live guided
// start with another mapping, whose round is still in flight (this node
// is the rival owner). writeConflicts would refuse both owners' rounds
// (both answering an unknown outcome); for these the merge decides
// instead (guidedStartsLost), so the winner is acknowledged. A rival
// written by a third node may have been acknowledged already: that stays
// a write conflict.
func (n *Node) guidedRivals(m Message) []ChildID {
	if m.Seq == 0 {
		return nil
	}
	var out []ChildID
	for i := range m.Entries {
		w := &m.Entries[i]
		if w.Stopped || len(w.Pinned) == 0 {
			continue
		}
		if p, ok := n.reg.active(w.Spec.ID); ok && p.By == n.cfg.Name && len(p.Pinned) > 0 && !slices.Equal(p.Pinned, w.Pinned) {
			out = append(out, w.Spec.ID)
		}
	}
	return out
}

// dropIDs returns ids without those in drop.
func dropIDs(ids, drop []ChildID) []ChildID {
	if len(drop) == 0 || len(ids) == 0 {
		return ids
	}
	out := ids[:0:0]
	for _, id := range ids {
		if !slices.Contains(drop, id) {
			out = append(out, id)
		}
	}
	return out
}

// refuseGuidedStarts answers an owner's round whose guided starts lost
// here: the winning versions (and those of stale reads and conflicting
// writes, writeConflicts) go back first, then the refusal naming the lost
// children, then the conflicting ones (Count: how many are lost).
func (n *Node) refuseGuidedStarts(m Message, lost, conflicts []ChildID, newerHere []Entry) {
	back := append(newerHere, n.currentVersions(lost)...)
	back = append(back, n.currentVersions(conflicts)...)
	n.sendEntryBatches(m.From, back)
	ids := append(append([]ChildID(nil), lost...), conflicts...)
	n.send(m.From, Message{Kind: MsgReplicateAck, Seq: m.Seq, Err: errGuidedConflict, IDs: ids, Count: len(lost)})
}

// loseGuidedStarts turns the results of op's lost guided starts into
// ErrAlreadyStarted (naming the winner's nodes and epoch once this node
// holds its version) and stops waiting for their local start.
func (n *Node) loseGuidedStarts(op *ownerOp, lost []ChildID) {
	for _, id := range lost {
		if _, ok := op.waitStart[id]; ok {
			delete(op.waitStart, id)
			if n.repl.waitingStart[id] == op {
				delete(n.repl.waitingStart, id)
			}
		}
		for i := range op.results {
			r := &op.results[i]
			if r.ID != id || r.Err != "" {
				continue
			}
			r.Err = Code(ErrAlreadyStarted)
			r.Detail = GuidedConflictDetail
			r.Nodes, r.Epoch = nil, 0
			if cur, ok := n.reg.active(id); ok && cur.By != n.cfg.Name {
				r.Nodes = n.reg.view(id, n.members.view, n.members.incarnation).Nodes()
				r.Epoch = cur.Epoch
			}
		}
	}
}

// onGuidedConflictAck takes a peer's refusal of guided starts: the peer
// applied the round, so it counts as acknowledged, except for the lost
// starts, the conflicting writes and the reads.
func (n *Node) onGuidedConflictAck(m Message) {
	op, ok := n.repl.bySeq[m.Seq]
	if !ok || m.Count < 0 || m.Count > len(m.IDs) {
		return
	}
	n.loseGuidedStarts(op, m.IDs[:m.Count])
	n.onWriteConflicts(op, m.IDs[m.Count:])
	n.markReadsUnknown(op)
	n.noteAck(op, m.From)
	delete(op.waitAcks, m.From)
	n.maybeFinishOwnerOp(op)
}

// deferGuidedStart makes op wait for the local start of e (result i),
// which begins once op's round is acknowledged (startDeferred).
func (n *Node) deferGuidedStart(op *ownerOp, e *Entry, i int) {
	id := e.Spec.ID
	op.waitStart[id] = i
	n.repl.waitingStart[id] = op
	op.deferred = append(op.deferred, id)
	n.repl.deferred[id] = op
}

// startDeferred starts the deferred local instances of op, whose round is
// acknowledged (or given up). A start that lost to another version in the
// meantime is answered ErrAlreadyStarted; one no longer awaited (the
// deadline passed) is left to reconcile.
func (n *Node) startDeferred(op *ownerOp) {
	ids := op.deferred
	op.deferred = nil
	var lost []ChildID
	for _, id := range ids {
		if n.repl.deferred[id] == op {
			delete(n.repl.deferred, id)
		}
		n.markDirty(id)
		i, waiting := op.waitStart[id]
		if !waiting {
			continue
		}
		cur, ok := n.reg.active(id)
		switch {
		case ok && cur.By == n.cfg.Name && cur.Epoch == op.results[i].Epoch:
			if n.local[id] == nil && !n.quorum.partitioned && containsNode(n.placement(cur), n.cfg.Name) {
				n.startLocal(cur, nil)
			} else {
				n.ownerStartReport(id, nil, "")
			}
		case ok && !slices.Equal(cur.Pinned, op.pinned(id)):
			lost = append(lost, id) // another mapping won
		default:
			// The start took effect and was stopped (or taken over)
			// since: as for an instance stopped before it reported.
			detail, err := n.stoppedStartReport(id)
			n.ownerStartReport(id, err, detail)
		}
	}
	n.loseGuidedStarts(op, lost)
}

// pinned returns the mapping op wrote for id.
func (op *ownerOp) pinned(id ChildID) []NodeID {
	for i := range op.entries {
		if op.entries[i].Spec.ID == id {
			return op.entries[i].Pinned
		}
	}
	return nil
}

// deferredStart reports whether id's local start waits for its owner
// round (reconcile must not start it earlier).
func (n *Node) deferredStart(id ChildID) bool {
	_, ok := n.repl.deferred[id]
	return ok
}

// stoppedStartReport is what an awaited start learns when its owner's
// instance is stopped before it reported: success (the entry was written),
// or ErrStartFailed when the child was tombstoned because a replica's
// start failed first. A guided owner starts its instance after its round,
// so its pinned peers start (and may fail) before it does.
func (n *Node) stoppedStartReport(id ChildID) (string, error) {
	if reason, _, ok := n.reg.tombstone(id); ok && strings.HasPrefix(reason, "start failed") {
		return reason, ErrStartFailed
	}
	return "", nil
}
