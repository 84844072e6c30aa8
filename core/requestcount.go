package core

// RequestCounters count what this node sent for routed requests and
// replication rounds since it booted, first sends and retransmissions
// apart. A retransmission carries its whole batch again, so these say how
// much of a large batch's traffic was repeated work (load-independent:
// counted, not timed).
type RequestCounters struct {
	// SubRequests and SubItems: sub-requests sent to a remote owner, and
	// the children they named, first sends and resends together.
	SubRequests, SubItems int
	// SubResends and SubItemsResent: the part of them that were
	// retransmissions (retryRequests).
	SubResends, SubItemsResent int
	// Results: answers this node sent to a remote origin.
	Results int
	// RoundResends and EntriesResent: replication messages resent to
	// peers that had not acknowledged a round, and the entries they held.
	RoundResends, EntriesResent int
	// BusyDuplicates: requests received again while this node was still
	// executing them (dropped; the origin resent them too early).
	BusyDuplicates int
}
