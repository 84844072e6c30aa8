package core

// Write conflicts between owners whose views differ.
//
// Under a non-transitive cut (A–B and B–C up, A–C down) A and C each see
// themselves as a child's owner. Both write the same generation of it (a
// start or a stop) and replicate it to every peer they see alive: the
// peers in the middle receive both. Without a check each peer applies the
// newer of the two (the other write silently loses, or overwrites an
// acknowledged one) and acknowledges both rounds, so both owners answer
// "ok": two starts of one child without a stop between them, an illegal
// history (nontransitive strict seed 145 of the long sweep).
//
// A peer therefore refuses the acknowledgement of a round whose write
// conflicts with the version it held before applying it (writeConflicts):
// the owner learns the peer's version and answers those children with an
// unknown outcome (ErrTimeout), never "ok". Two rounds that both need the
// same peer's acknowledgement cannot both pass it: the second to arrive
// meets the first's version. Strict mode makes every owner's round reach a
// majority of the voters it sees alive, so any two rounds share a peer;
// strict mode and majority quorum refuse (see writeConflicts and
// quorum_rival.go).

// writeConflicts returns the children an owner's acknowledged round m
// writes (its entries not named in m.IDs, which are reads) whose version
// here, before m is applied, is a rival of the same generation: another
// owner's start, or another owner's stop, of the written epoch, or a stop
// of that epoch where m starts it (a stop the owner never saw). Every
// version of a higher epoch is a rival of a start, live or stopped, of
// any mapping: the start loses the merge to it, and it descends from the
// start only in a race (see rival; refusing such takeovers in every mode
// timed out 23 of 500 starts of the join-storm regression scenario, which
// does not run strict mode); so is a live version of a lower epoch (a
// generation the start's owner may never have seen). A version of a higher epoch is also a rival
// of a stop: nothing descends from a tombstone but a fresh start, which
// an owner takes only once the stop's round is acknowledged, so a live
// later version is a takeover chain of the generation the stop ends, or a
// second owner's fresh start, and the stop may have lost to it (skew strict
// seed 6668 of the long sweep: a paused node's stop of e1 was acknowledged
// by a peer holding its own takeover e3; the child ran on at e4). A takeover of the
// epoch a stop's tombstone also uses is a rival: the stop still wins that
// tie in the merge, but the takeover's round may have been acknowledged
// and read, so the stop's "ok, ended epoch E" would come after a read of
// epoch E+1 (nontransitive strict seed 5908 of the long sweep: a lookup
// told e2 by the takeover's owner, then the old holder's stop answered ok
// e1). A retransmitted round (the same version again) is none, unless
// that version replaced a rival here: then it stays refused
// (strict_contested.go, mix strict seed 14704).
//
// Strict mode and majority quorum only (refusesRivalWrites,
// quorum_rival.go): divergence and the static and dynamic quorums promise
// no linearizability across partitions, and a refusal can also meet a
// request that a second owner re-executed after a view change (the same
// request: no conflict), turning it into an unknown outcome. With the
// refusal in every mode, e2e TestCluster's start of 1,000 children right
// after the cluster formed (divergence, phubd's default) failed 2 runs of
// 6 (not diagnosed further); it passed before.
func (n *Node) writeConflicts(m Message) []ChildID {
	if !n.refusesRivalWrites() || m.Seq == 0 || len(m.Entries) == 0 {
		return nil
	}
	read := make(map[ChildID]bool, len(m.IDs))
	for _, id := range m.IDs {
		read[id] = true
	}
	var out []ChildID
	for i := range m.Entries {
		w := &m.Entries[i]
		if read[w.Spec.ID] {
			continue
		}
		if n.contestedWrite(w) { // a rival's, even if it won here (strict_contested.go)
			out = append(out, w.Spec.ID)
			continue
		}
		p, ok := n.reg.get(w.Spec.ID)
		if !ok || sameVersion(p, w) {
			continue
		}
		if rival(p, w) {
			out = append(out, w.Spec.ID)
		}
	}
	return out
}

// rival reports whether version p, held by a peer, makes write w stale
// (p and w differ). Same epoch: another owner's start or stop of it, a
// stop of the epoch w starts, or a start (a takeover) of the epoch w's
// stop writes. A start w also meets a rival in every later version: a
// later tombstone, another guided mapping, or a later live version of
// its own mapping (a rival owner's fresh start, or, in a race only, a
// takeover of w); and in every live version of an older epoch (a
// generation w's owner never saw end, or saw end while this peer was
// away). A stop w of generation E (epoch E+1) also
// meets a rival in a stop of epoch E or later: a live version of epoch E
// beside a stop of epoch E is a takeover that stop already beat (the stop
// wins that tie), so w stops a generation that was gone before it
// (nontransitive strict seed 15908 of the long sweep: two stops answered
// ok, the second by a node that held the beaten takeover), and in a live
// version of a later epoch (see writeConflicts).
func rival(p, w *Entry) bool {
	switch {
	case p.Epoch == w.Epoch:
		return true // both descend from generation Epoch-1 (or one is a retransmission: sameVersion)
	case !w.Stopped:
		// Every later version is a rival of a start: the start loses the
		// merge to it, and it descends from the start only in a race.
		// Here, before the start's round, a version descending from it
		// exists only if another node learned the start from another
		// copy of the round (or a sync that left its owner after the
		// round to this peer), wrote a takeover or a stop, and that
		// write overtook the round on its way here (or the round's copy
		// here, or its acknowledgement, was lost and is resent); an
		// unknown outcome then costs nothing but the answer. Any other
		// later version was written by a rival owner that held a
		// version of the child this start's owner never saw: a later
		// tombstone or another guided mapping (nontransitive strict
		// seed 18060 of the long sweep: n1, cut from n2, started c7 e1
		// with mapping [n1] against n2's tombstone e2 of mapping [n2];
		// the start lost the merge at every peer and was answered ok),
		// or a fresh start of the same mapping on top of one
		// (TestStrictStartMeetsLaterRivalStart: both starts answered
		// ok). Only lineage in the entry would tell the two kinds of
		// live version apart; refusing both costs the race's answer
		// alone.
		//
		// An older live version is a rival too. The start's owner held
		// no live version of the child, so it either saw that
		// generation's stop, which this peer missed (it was down or cut
		// off from the owner then: a stop's round waits for every peer
		// its owner sees alive), or never saw the generation at all: its
		// epoch floor, raised by another child's collected tombstone,
		// put the start above it (TestStrictStartMeetsOlderRivalStart:
		// a started x at e1, c with floor 7 at e8, and b, holding a's
		// e1, acknowledged both). Without lineage the two look alike;
		// refusing both costs the first kind its answer.
		return p.Epoch > w.Epoch || !p.Stopped
	case p.Stopped:
		return p.Epoch+1 >= w.Epoch
	default:
		return p.Epoch > w.Epoch
	}
}

func sameVersion(a, b *Entry) bool {
	return a.Epoch == b.Epoch && a.Stopped == b.Stopped && a.By == b.By
}

// currentVersions returns this node's versions of ids (without replica
// lists), to send an owner whose write conflicted with them.
func (n *Node) currentVersions(ids []ChildID) []Entry {
	out := make([]Entry, 0, len(ids))
	for _, id := range ids {
		if e, ok := n.reg.get(id); ok {
			cp := *e
			cp.Replicas = nil
			out = append(out, cp)
		}
	}
	return out
}

// onWriteConflicts marks the children of op that a peer refused as
// conflicting writes: their outcome is unknown (the write may or may not
// survive the merge), so they are answered ErrTimeout and no longer wait
// for a local start.
func (n *Node) onWriteConflicts(op *ownerOp, ids []ChildID) {
	bad := make(map[ChildID]bool, len(ids))
	for _, id := range ids {
		bad[id] = true
	}
	for i := range op.results {
		id := op.results[i].ID
		if !bad[id] {
			continue
		}
		op.results[i].Err = Code(ErrTimeout)
		op.results[i].Detail = "another owner wrote a conflicting version"
		op.results[i].Nodes = nil
		if _, waiting := op.waitStart[id]; waiting {
			delete(op.waitStart, id)
			if n.repl.waitingStart[id] == op {
				delete(n.repl.waitingStart, id)
			}
		}
	}
}
