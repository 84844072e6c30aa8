package bench

import (
	"context"
	"sync"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// maxBatch is the most children one request may name (the bench's nodes
// run core.DefaultLimits).
var maxBatch = core.DefaultLimits().MaxBatch

// batchBounds splits n items into consecutive parts of at most max items,
// as [lo, hi) pairs (none for n = 0).
func batchBounds(n, max int) [][2]int {
	var out [][2]int
	for lo := 0; lo < n; lo += max {
		out = append(out, [2]int{lo, min(lo+max, n)})
	}
	return out
}

// startBatches starts specs through h in requests of at most max specs,
// all in flight at once, and returns every result in spec order. The
// first error of any request is returned.
func startBatches(ctx context.Context, h *phub.Hub, specs []core.ChildSpec, max int, opts ...phub.StartOption) (phub.Results, error) {
	return inBatches(len(specs), max, func(lo, hi int) (phub.Results, error) {
		r, err := h.StartChildren(ctx, specs[lo:hi], opts...)
		return r.Results, err
	})
}

// stopBatches stops ids through h in requests of at most max ids, all in
// flight at once, and returns every result in id order.
func stopBatches(ctx context.Context, h *phub.Hub, ids []core.ChildID, max int, opts ...phub.StopOption) (phub.Results, error) {
	return inBatches(len(ids), max, func(lo, hi int) (phub.Results, error) {
		r, err := h.StopChildren(ctx, ids[lo:hi], opts...)
		return r.Results, err
	})
}

// inBatches runs do for every part [lo, hi) of n items of at most max
// items, all parts at once, and joins their results in order.
func inBatches(n, max int, do func(lo, hi int) (phub.Results, error)) (phub.Results, error) {
	parts := batchBounds(n, max)
	if len(parts) == 1 {
		// One request: made from the calling goroutine, whose figure
		// then includes no goroutine start and no wake-up through a
		// WaitGroup after the reply.
		return do(parts[0][0], parts[0][1])
	}
	res := make([]phub.Results, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = do(p[0], p[1])
		}()
	}
	wg.Wait()
	return joinResults(res, errs)
}

// joinResults concatenates the parts' results in order, or returns the
// first part's error.
func joinResults(parts []phub.Results, errs []error) (phub.Results, error) {
	n := 0
	for i, r := range parts {
		if errs[i] != nil {
			return nil, errs[i]
		}
		n += len(r)
	}
	out := make(phub.Results, 0, n)
	for _, r := range parts {
		out = append(out, r...)
	}
	return out, nil
}
