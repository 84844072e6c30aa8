package core

import "time"

// The periodic sync round of a large registry waits for it to be quiet.
//
// Every Sync.Interval a node runs its sync round (step.go, Tick):
// anti-entropy sends each peer the registry's digest and the node's full
// claim list, garbage collection walks every entry, and every child is
// reconciled. A peer whose registry does not match the digest answers
// with its whole registry and asks for the sender's (MsgDigest in
// step.go): a full exchange, O(entries) to build, encode, send, decode
// and merge on both sides. While children are being started or stopped
// the registries never match at one instant (replication rounds are in
// flight), so every round during a large start paid a full exchange per
// pair of nodes, for nothing: the rounds then repair what replication is
// delivering anyway. A start of a million children on 3 nodes outlasts
// the 15 s interval; its rounds exchanged registries of up to a million
// entries, and as the exchanges outgrew the interval they queued (decoded
// parts of full syncs in the inboxes, encoded ones in the send queues)
// until the process was killed at 24.4 GB.
//
// So a node whose registry holds more than quietSyncAbove entries runs its
// round only once its registry has been unchanged for syncQuietWindow and
// it has no owner round and no routed request in flight (no writes
// arriving or being made: nothing in flight that the digest would count
// as a difference; registryQuiet), and at the latest maxSyncRoundWait intervals
// after its previous round, so a registry that never rests is still
// compared and repaired (at least once a minute by default). Smaller
// registries — every one the simulator builds — run their round on time as
// before: their full exchange is cheap.

// quietSyncAbove is the registry size above which the sync round waits
// for a quiet registry.
const quietSyncAbove = 1 << 14

// maxSyncRoundWait bounds that wait: a round runs at the latest this many
// Sync.Intervals after the previous one.
const maxSyncRoundWait = 4

// syncQuiet follows when the registry last changed, sampled every tick.
type syncQuiet struct {
	digest    uint64
	changedAt Instant
	// deferred counts rounds that came due and waited (Stats).
	deferred int
	waiting  bool
}

// syncQuietRetries is how many RetryIntervals the registry must stay
// unchanged before a waiting round runs: the retry backoff's ceiling, the
// longest a lost replication message waits for its resend.
const syncQuietRetries = 4

// syncQuietWindow is how long the registry must stay unchanged before a
// waiting round runs.
func (n *Node) syncQuietWindow() time.Duration {
	return syncQuietRetries * n.cfg.Timing.RetryInterval
}

// noteRegistryChange records, once per tick, whether the registry changed
// since the previous tick.
func (n *Node) noteRegistryChange(now Instant) {
	if n.reg.digest != n.quiet.digest {
		n.quiet.digest, n.quiet.changedAt = n.reg.digest, now
	}
}

// syncRoundDue reports whether the periodic sync round runs now: a
// Sync.Interval has passed since the previous one and either the registry
// is small, or it has been quiet for syncQuietWindow, or the round has
// waited until maxSyncRoundWait intervals after the previous one.
func (n *Node) syncRoundDue(now Instant) bool {
	since := now.Sub(n.lastSync)
	if since < n.cfg.Sync.Interval {
		return false
	}
	if len(n.reg.entries) <= quietSyncAbove || since >= maxSyncRoundWait*n.cfg.Sync.Interval || n.registryQuiet(now) {
		n.quiet.waiting = false
		return true
	}
	if !n.quiet.waiting {
		n.quiet.waiting = true
		n.quiet.deferred++
	}
	return false
}

// registryQuiet reports whether the registry has rested: unchanged for
// syncQuietWindow, with no owner round and no routed request of this
// node in flight. A loop starved of CPU leaves its registry unchanged
// mid-start; its rounds and requests in flight still show the writes.
func (n *Node) registryQuiet(now Instant) bool {
	return now.Sub(n.quiet.changedAt) >= n.syncQuietWindow() && len(n.repl.ops) == 0 && len(n.pending.bySeq) == 0
}
