package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub/core"
)

// resentFigures are the request and round counters of every node of a
// cluster summed (core.RequestCounters), with the repeated work per child.
type resentFigures struct {
	sum core.RequestCounters
	// itemsPerChild: children named again by resent sub-requests, per
	// child of the run; entriesPerChild: entries resent in replication
	// rounds, per child.
	itemsPerChild, entriesPerChild float64
	// Sent by every node so far (traffic): messages, registry entries,
	// full syncs with entries, claims, full claim lists, messages the
	// transport refused.
	messages, entries, fullSyncs, claims, fullClaimLists, refused int64
	// digestWaits: anti-entropy digests whose mismatch waited for writes
	// in flight to end; digestForced: waits ended by their bound
	// (core.Stats, syncquiet.go).
	digestWaits, digestForced int
}

func (r resentFigures) String() string {
	s := r.sum
	return fmt.Sprintf("sub-requests %d (%d children), resent %d (%d children, %.2f per child); results %d; busy duplicates %d; rounds resent %d (%d entries, %.2f per child); sent %d messages, %d entries, %d full syncs with entries, %d claims, %d full claim lists; refused by the transport %d; digest answers waited %d (forced by the bound %d)",
		s.SubRequests, s.SubItems, s.SubResends, s.SubItemsResent, r.itemsPerChild, s.Results, s.BusyDuplicates, s.RoundResends, s.EntriesResent, r.entriesPerChild,
		r.messages, r.entries, r.fullSyncs, r.claims, r.fullClaimLists, r.refused, r.digestWaits, r.digestForced)
}

// resent sums the counters of every node of c; n is the run's children.
func (c *cluster) resent(n int) (resentFigures, error) {
	var f resentFigures
	for _, h := range c.hubs {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		st, err := h.Stats(ctx)
		cancel()
		if err != nil {
			return f, fmt.Errorf("stats: %w", err)
		}
		s := st.Sent
		f.sum.SubRequests += s.SubRequests
		f.sum.SubItems += s.SubItems
		f.sum.SubResends += s.SubResends
		f.sum.SubItemsResent += s.SubItemsResent
		f.sum.Results += s.Results
		f.sum.RoundResends += s.RoundResends
		f.sum.EntriesResent += s.EntriesResent
		f.sum.BusyDuplicates += s.BusyDuplicates
		f.digestWaits += st.DigestAnswersWaited
		f.digestForced += st.DigestAnswersForced
	}
	f.messages, f.entries, f.fullSyncs, f.claims = c.sent.messages.Load(), c.sent.entries.Load(), c.sent.fullSyncs.Load(), c.sent.claims.Load()
	f.fullClaimLists, f.refused = c.sent.fullClaimLists.Load(), c.sent.refused.Load()
	f.itemsPerChild = float64(f.sum.SubItemsResent) / float64(max(n, 1))
	f.entriesPerChild = float64(f.sum.EntriesResent) / float64(max(n, 1))
	return f, nil
}
