package core

import "time"

// Retransmissions back off. An awaited request's sub-request stays
// unanswered until its owner has started and replicated every child it
// names, and an owner's replication round until every peer has applied
// it; for a large batch both take longer than RetryInterval. Resending
// the whole batch every RetryInterval then made the work grow with the
// batch size times its duration — quadratic in the batch (a 100,000-child
// start resent each remote owner its ~33,000 specs and each peer its
// entries every 300 ms, and every resend slowed the receiver further).
// So the k-th resend of the same message waits RetryInterval·2^k, up to
// retryBackoffMax times RetryInterval: a lost message is still resent
// after RetryInterval, and a slow answer costs O(log) resends.

// retryBackoffShiftMax caps the doubling: at most 2^2 = 4 RetryIntervals
// between resends.
const retryBackoffShiftMax = 2

// retryDue reports whether a message last sent at last and resent resends
// times since its first send is due again at now.
func retryDue(now, last Instant, resends int, interval time.Duration) bool {
	return now.Sub(last) >= interval<<min(resends, retryBackoffShiftMax)
}
