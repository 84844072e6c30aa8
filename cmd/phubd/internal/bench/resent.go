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
}

func (r resentFigures) String() string {
	s := r.sum
	return fmt.Sprintf("sub-requests %d (%d children), resent %d (%d children, %.2f per child); results %d; busy duplicates %d; rounds resent %d (%d entries, %.2f per child)",
		s.SubRequests, s.SubItems, s.SubResends, s.SubItemsResent, r.itemsPerChild, s.Results, s.BusyDuplicates, s.RoundResends, s.EntriesResent, r.entriesPerChild)
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
	}
	f.itemsPerChild = float64(f.sum.SubItemsResent) / float64(max(n, 1))
	f.entriesPerChild = float64(f.sum.EntriesResent) / float64(max(n, 1))
	return f, nil
}
