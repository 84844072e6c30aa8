package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

func TestBatchBoundsCoverEveryItemOnce(t *testing.T) {
	for _, tc := range []struct{ n, max, parts int }{{0, 4, 0}, {1, 4, 1}, {4, 4, 1}, {5, 4, 2}, {10, 4, 3}, {1000000, 200000, 5}} {
		b := batchBounds(tc.n, tc.max)
		if len(b) != tc.parts {
			t.Fatalf("batchBounds(%d, %d): %d parts, want %d", tc.n, tc.max, len(b), tc.parts)
		}
		next := 0
		for _, p := range b {
			if p[0] != next || p[1] <= p[0] || p[1]-p[0] > tc.max {
				t.Fatalf("batchBounds(%d, %d) = %v: part %v does not follow %d or exceeds %d", tc.n, tc.max, b, p, next, tc.max)
			}
			next = p[1]
		}
		if next != tc.n {
			t.Fatalf("batchBounds(%d, %d) = %v ends at %d", tc.n, tc.max, b, next)
		}
	}
}

// TestBatchesSplitStartAndStopAboveTheLimit: a start and a stop
// larger than the per-request limit are split, answered in order for
// every child, and reach every registry; the same start in one request is
// refused by the limit the split respects.
func TestBatchesSplitStartAndStopAboveTheLimit(t *testing.T) {
	c, err := newCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	const n, max = 10, 4
	sp := specs("b", n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := startBatches(ctx, c.hubs[0], sp, max, phub.Await(), phub.Timeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != n || !res.OK() {
		t.Fatalf("start: %d results (want %d), errors %v", len(res), n, res.Errors())
	}
	ids := make([]core.ChildID, n)
	for i, r := range res {
		if r.ID != sp[i].ID {
			t.Fatalf("result %d is %q, want %q (request order)", i, r.ID, sp[i].ID)
		}
		ids[i] = r.ID
	}
	if err := waitUntil(time.Minute, func() bool { return c.allEntries(n) }); err != nil {
		t.Fatalf("registries hold %v of %d: %v", c.entries(), n, err)
	}
	sres, err := stopBatches(ctx, c.hubs[0], ids, max, phub.Await(), phub.Timeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(sres) != n || !sres.OK() {
		t.Fatalf("stop: %d results (want %d), errors %v", len(sres), n, sres.Errors())
	}
	if err := waitUntil(time.Minute, func() bool { return c.allEntries(0) }); err != nil {
		t.Fatalf("registries hold %v after the stop: %v", c.entries(), err)
	}
	big := specs("big", maxBatch+1)
	if _, err := c.hubs[0].StartChildren(ctx, big, phub.Await()); !errors.Is(err, core.ErrLimitExceeded) {
		t.Fatalf("one request of MaxBatch+1 specs: %v, want ErrLimitExceeded", err)
	}
}
