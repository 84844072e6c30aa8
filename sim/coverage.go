package sim

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Coverage points ("sometimes" assertions): situations a sweep must reach
// at least once, so that no fault class, timer or check passes vacuously.
// The simulator counts each when it observes it; TestSweep prints the
// counts and fails a default sweep in which a declared point is never
// reached.
const (
	// CoverPartitionDuringHandover: a partition or cut starts while a hot
	// swap handover is in flight.
	CoverPartitionDuringHandover = "partition-during-handover"
	// CoverCrashMidStart: a node crashes while one of its children is
	// starting or while it coordinates an awaited start.
	CoverCrashMidStart = "crash-mid-start"
	// CoverRetransmitDelivered: the same routed request (same sender,
	// incarnation and sequence) reached a node twice (retry or
	// duplication); the linearizability check proves it applied once.
	CoverRetransmitDelivered = "retransmitted-request-delivered"
	// CoverHealWithDuplicates: a heal while two instances of a singleton
	// child run (the merge must keep one).
	CoverHealWithDuplicates = "heal-with-duplicates"
	// CoverTombstoneExpired: a node garbage-collected a tombstone (TTL).
	CoverTombstoneExpired = "tombstone-expired"
	// CoverMemberForgotten: a node forgot a down or left member.
	CoverMemberForgotten = "member-forgotten"
	// CoverForgottenMemberRejoins: a node boots that a live node had
	// forgotten.
	CoverForgottenMemberRejoins = "forgotten-member-rejoins"
	// CoverQuorumLost and CoverQuorumRegained: a node lost (regained)
	// quorum.
	CoverQuorumLost     = "quorum-lost"
	CoverQuorumRegained = "quorum-regained"
	// CoverRequestExpired: an awaited request ended in a timeout.
	CoverRequestExpired = "request-expired"
	// CoverRetentionExpired: a hot swap's retention passed before the
	// handover completed.
	CoverRetentionExpired = "retention-expired"
	// CoverHandoverCompleted: a hot swap handed state to a new instance
	// and the old one stopped.
	CoverHandoverCompleted = "handover-completed"
	// CoverRestartIntensityExceeded: a child crashed more often than its
	// restart intensity allows and was given up.
	CoverRestartIntensityExceeded = "restart-intensity-exceeded"
	// CoverPropagationChecked: a change was checked against the
	// propagation bound with an anti-entropy interval longer than it.
	CoverPropagationChecked = "propagation-checked-lazy-sync"
	// CoverIdleFastForward: a seed fast-forwarded past every expiry timer.
	CoverIdleFastForward = "idle-fast-forward"
	// CoverWhichGlobalChecked: a which_children_global answer listed
	// another node's children and was checked against the truth.
	CoverWhichGlobalChecked = "which-global-checked"
	// CoverWhichGlobalUnreachable: a which_children_global answer
	// reported an unreachable node.
	CoverWhichGlobalUnreachable = "which-global-unreachable"
	// CoverRedistributeMoved: a redistribute pushed a child to a node.
	CoverRedistributeMoved = "redistribute-moved"
	// CoverFullClusterCrash: every node was down at once (durable class)
	// and the cluster came back from its disks.
	CoverFullClusterCrash = "full-cluster-crash"
	// CoverUnsyncedLost: a crash lost writes that were not yet synced.
	CoverUnsyncedLost = "unsynced-writes-lost"
	// CoverDiskFaultDetected: a node found its disk unreadable or corrupt
	// at boot and recovered from its peers.
	CoverDiskFaultDetected = "disk-fault-detected"
	// CoverDiskFull: a write failed on a full disk and the node stopped
	// without releasing what the write was to support.
	CoverDiskFull = "disk-full"
	// CoverAwayPastTTL: a durable node came back from its disk after
	// more than the tombstone TTL (but before it was forgotten), holding
	// live versions of children stopped while it was away.
	CoverAwayPastTTL = "away-past-tombstone-ttl"
	// CoverPause: a node's process paused (and later woke with a burst).
	CoverPause = "process-paused"
	// CoverFenceWhilePaused: a strict node's fence timer killed its
	// children while its process was paused.
	CoverFenceWhilePaused = "fence-while-paused"
	// CoverStartAfterExpiry: a child stopped before the idle stretch ran
	// again after it, its tombstone expired in between (its epochs must
	// still increase).
	CoverStartAfterExpiry = "start-after-tombstone-expiry"
	// CoverLargeBatch: one start of 100–300 children was issued.
	CoverLargeBatch = "large-batch"
	// CoverMessageSplit: a message was split into parts (a large batch
	// on shrunk limits).
	CoverMessageSplit = "message-split"
	// CoverGuidedInvalidRefused: a start with an invalid child mapping
	// was refused with its named error.
	CoverGuidedInvalidRefused = "guided-invalid-mapping-refused"
	// CoverCordonedAtQuiescence: a node was still cordoned when the
	// quiescent checks ran (and another was not), so the cordon check
	// looked at it.
	CoverCordonedAtQuiescence = "cordoned-at-quiescence"
	// CoverGuidedRace: a guided start was raced by a start of the same
	// child with another mapping from another node (guided_race.go).
	CoverGuidedRace = "guided-race"
	// CoverGuidedRaceRefused: a guided start lost to a concurrent start
	// with another mapping and was refused (core.GuidedConflictDetail).
	CoverGuidedRaceRefused = "guided-race-refused"
	// CoverHandoverBatch: a node sent one message handing several
	// children's states over (core/handoverbatch.go).
	CoverHandoverBatch = "handover-batch"
	// CoverFaultDuringHandoverBatch: a node sending or receiving a
	// batched handover or acknowledgement crashed, or their link was
	// cut, while the batch was in flight (handover_batch.go). A scripted
	// point (ScriptedCoveragePoints).
	CoverFaultDuringHandoverBatch = "fault-during-handover-batch"
	// CoverGivenStateCrashedBeforeRun: an instance given a handed-over
	// state exited before it ran (faults_starting.go), so the state must
	// reach its restart.
	CoverGivenStateCrashedBeforeRun = "given-state-crashed-before-run"
	// CoverMovedStartFailed: the start of a child on a node other than
	// the one it last started on failed (ChildStartFailed,
	// faults_starting.go).
	CoverMovedStartFailed = "moved-start-failed"
	// CoverCrashDuringHandover: a node crashed while a hot-swap handover
	// it sent or received was in flight (faults_starting.go).
	CoverCrashDuringHandover = "crash-during-handover"
	// CoverSlowExit: a stopped child ran on for a drawn time before it
	// exited (slowexit.go).
	CoverSlowExit = "slow-exit"
)

// CoveragePoints lists every declared point, sorted.
var CoveragePoints = sortedStrings([]string{
	CoverPartitionDuringHandover, CoverCrashMidStart, CoverRetransmitDelivered,
	CoverHealWithDuplicates, CoverTombstoneExpired, CoverMemberForgotten,
	CoverForgottenMemberRejoins, CoverQuorumLost, CoverQuorumRegained,
	CoverRequestExpired, CoverRetentionExpired, CoverHandoverCompleted,
	CoverRestartIntensityExceeded, CoverPropagationChecked, CoverIdleFastForward,
	CoverWhichGlobalChecked, CoverWhichGlobalUnreachable, CoverRedistributeMoved,
	CoverFullClusterCrash, CoverUnsyncedLost, CoverDiskFaultDetected, CoverDiskFull, CoverAwayPastTTL,
	CoverPause, CoverFenceWhilePaused,
	CoverStartAfterExpiry, CoverLargeBatch, CoverMessageSplit, CoverGuidedInvalidRefused,
	CoverCordonedAtQuiescence,
	CoverGuidedRace, CoverGuidedRaceRefused,
	CoverHandoverBatch,
	CoverGivenStateCrashedBeforeRun, CoverMovedStartFailed, CoverCrashDuringHandover,
	CoverSlowExit,
})

// ScriptedCoveragePoints are points the default sweep reaches too rarely
// to require (a fault that must fall in a window of a few milliseconds),
// each with the scripted test that reaches it every time. The sweep's
// report lists how often it reached them, without failing at zero.
var ScriptedCoveragePoints = map[string]string{
	CoverFaultDuringHandoverBatch: "TestHandoverBatchHitInFlight",
}

func sortedStrings(xs []string) []string { sort.Strings(xs); return xs }

// cover counts one occurrence of a coverage point.
func (s *Sim) cover(point string) {
	s.covered[point]++
}

// Coverage returns how often each coverage point was reached.
func (s *Sim) Coverage() map[string]int {
	out := make(map[string]int, len(s.covered))
	for k, v := range s.covered {
		out[k] = v
	}
	return out
}

// CoverageReport formats coverage counts, one declared point per line
// (then the scripted points), and returns the declared points never
// reached.
func CoverageReport(counts map[string]int) (string, []string) {
	var b strings.Builder
	var missed []string
	for _, p := range CoveragePoints {
		mark := ""
		if counts[p] == 0 {
			mark = "  <- never reached"
			missed = append(missed, p)
		}
		fmt.Fprintf(&b, "  %-34s %7d%s\n", p, counts[p], mark)
	}
	for _, p := range sortedStrings(slices.Collect(maps.Keys(ScriptedCoveragePoints))) {
		fmt.Fprintf(&b, "  %-34s %7d  (not required of the sweep: %s reaches it)\n", p, counts[p], ScriptedCoveragePoints[p])
	}
	return b.String(), missed
}
