package core

import "time"

// Anti-entropy answers a large registry's mismatching digest once quiet.
//
// Every Sync.Interval a node runs its sync round (step.go, Tick), on time:
// anti-entropy sends each peer the registry's digest and the node's full
// claim list, garbage collection drops expired tombstones, and every child
// is reconciled. A peer whose registry does not match the digest answers
// with its whole registry and asks for the sender's (onDigest): a full
// exchange, O(entries) to build, encode, send, decode and merge on both
// sides. While children are started or stopped the registries never match
// at one instant (replication rounds are in flight), so every round during
// a large start paid a full exchange per pair of nodes, for nothing: the
// exchanges repaired what replication was delivering anyway. A start of a
// million children on 3 nodes outlasts the 15 s interval; its rounds
// exchanged registries of up to a million entries, the exchanges outgrew
// the interval and queued until the process was killed at 24.4 GB.
//
// Session 9 deferred a large registry's whole round until it was quiet,
// garbage collection and reconciliation with it. The waste was only the
// answer, so now only the answer waits. When either registry holds more
// than quietSyncAbove entries and a side has writes in flight — its
// registry changed within syncQuietWindow, or it has an owner round or a
// routed request open (registryQuiet) — a mismatching digest is not
// answered with the registry: the sender shows its writes in flight in
// the digest (Message.Busy), the receiver knows its own. The receiver
// remembers the mismatch (digestWait) and, once its own registry is quiet,
// sends the peer its digest: a quiet peer whose registry still differs
// answers that one with the exchange, a busy one waits in turn, a peer
// whose registry now matches does nothing. A digest or heartbeat showing
// a registry equal to this node's ends the wait. The exchange comes at the
// latest maxDigestAnswerWait intervals after the mismatch was first left
// unanswered, so a divergence between registries that never rest is still
// repaired (within a minute by default). Smaller registries — every one
// the simulator builds — answer at once as before, and so does every sync
// readiness waits for (a member that comes up, a MsgSyncRequest).

// quietSyncAbove is the registry size above which a mismatching digest
// is answered with the registry only once quiet.
const quietSyncAbove = 1 << 14

// maxDigestAnswerWait bounds that wait: a mismatch is answered with the
// exchange at the latest this many Sync.Intervals after it was first left
// unanswered.
const maxDigestAnswerWait = 4

// syncQuiet follows when the registry last changed, sampled every tick,
// and the peers whose mismatching digest waits for an answer.
type syncQuiet struct {
	digest    uint64
	changedAt Instant
	waits     map[NodeID]*digestWait
	// deferred counts mismatching digests left unanswered for a while,
	// forced the waits that reached maxDigestAnswerWait, exchanges the
	// registries sent whole for a digest, at once or after a wait
	// (Stats).
	deferred, forced, exchanges int
}

// digestWait is a peer's mismatching digest not answered yet.
type digestWait struct {
	since Instant // when a mismatch with the peer was first left unanswered
	probe bool    // this node sends the peer its digest once quiet
}

// syncQuietRetries is how many RetryIntervals the registry must stay
// unchanged to be quiet: the retry backoff's ceiling, the longest a lost
// replication message waits for its resend.
const syncQuietRetries = 4

// syncQuietWindow is how long the registry must stay unchanged to be
// quiet.
func (n *Node) syncQuietWindow() time.Duration {
	return syncQuietRetries * n.cfg.Timing.RetryInterval
}

// noteRegistryChange records whether the registry changed since the
// previous call (every tick, and before a digest is judged).
func (n *Node) noteRegistryChange(now Instant) {
	if n.reg.digest != n.quiet.digest {
		n.quiet.digest, n.quiet.changedAt = n.reg.digest, now
	}
}

// registryQuiet reports whether the registry has rested: unchanged for
// syncQuietWindow, with no owner round and no routed request of this
// node in flight. A loop starved of CPU leaves its registry unchanged
// mid-start; its rounds and requests in flight still show the writes.
func (n *Node) registryQuiet(now Instant) bool {
	return now.Sub(n.quiet.changedAt) >= n.syncQuietWindow() && len(n.repl.ops) == 0 && len(n.pending.bySeq) == 0
}

// digestMsg is anti-entropy's digest of this node's registry; a large
// registry with writes in flight says so (Busy).
func (n *Node) digestMsg() Message {
	busy := n.reg.len() > quietSyncAbove && !n.registryQuiet(n.now)
	return Message{Kind: MsgDigest, Digest: n.reg.digest, Count: n.reg.len(), Epoch: n.reg.epochFloor, Busy: busy}
}

// onDigest handles a peer's anti-entropy digest: a registry that differs
// is exchanged whole (this node's sent, the peer's asked for), at once or,
// between large registries with writes in flight, once quiet.
func (n *Node) onDigest(m Message) {
	n.raiseEpochFloor(m.Epoch)
	if m.Digest == n.reg.digest && m.Count == n.reg.len() {
		delete(n.quiet.waits, m.From)
		return
	}
	if n.digestAnswerWaits(m) {
		return
	}
	n.exchangeRegistry(m.From)
}

// exchangeRegistry sends p this node's registry and asks for p's.
func (n *Node) exchangeRegistry(p NodeID) {
	n.quiet.exchanges++
	delete(n.quiet.waits, p)
	n.sendEntries(p, false)
	n.send(p, n.syncRequest())
}

// digestAnswerWaits reports whether the answer to m, a mismatching digest,
// waits (and records the wait): either registry is large, either side has
// writes in flight, and no earlier mismatch with m's sender has waited
// maxDigestAnswerWait intervals.
func (n *Node) digestAnswerWaits(m Message) bool {
	if max(n.reg.len(), m.Count) <= quietSyncAbove {
		return false
	}
	n.noteRegistryChange(n.now)
	if !m.Busy && n.registryQuiet(n.now) {
		return false
	}
	w := n.quiet.waits[m.From]
	if w == nil {
		if n.quiet.waits == nil {
			n.quiet.waits = map[NodeID]*digestWait{}
		}
		w = &digestWait{since: n.now}
		n.quiet.waits[m.From] = w
	} else if n.now.Sub(w.since) >= n.digestAnswerBound() {
		n.quiet.forced++
		return false
	}
	w.probe = true
	n.quiet.deferred++
	return true
}

// digestAnswerBound is the longest a mismatch waits for its exchange.
func (n *Node) digestAnswerBound() time.Duration {
	return maxDigestAnswerWait * n.cfg.Sync.Interval
}

// answerWaitingDigests goes through the waiting mismatches (every tick):
// a peer gone or showing this registry's digest ends its wait; a wait at
// its bound gets the exchange; once this registry is quiet, a peer owed
// this node's digest gets it.
func (n *Node) answerWaitingDigests(now Instant) {
	if len(n.quiet.waits) == 0 {
		return
	}
	quiet := n.registryQuiet(now)
	for _, p := range sortedKeys(n.quiet.waits) {
		w := n.quiet.waits[p]
		d, shown := n.peerDigests[p]
		switch {
		case !n.members.alive(p), shown && d == n.reg.digest:
			delete(n.quiet.waits, p)
		case now.Sub(w.since) >= n.digestAnswerBound():
			n.quiet.forced++
			n.exchangeRegistry(p)
		case w.probe && quiet:
			w.probe = false
			n.send(p, n.digestMsg())
		}
	}
}
