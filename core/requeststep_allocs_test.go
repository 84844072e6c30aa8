package core

import (
	"runtime"
	"testing"
)

// requestStepAllocs returns the heap allocations and bytes of the
// requesting node's step alone (Request and its Ready) for an awaited
// start or stop of n children on 3 nodes, the stop's children started
// first, untimed. Core is single-goroutine, so the count does not depend
// on the machine's load.
func requestStepAllocs(t *testing.T, op Op, n int) (allocs, bytes uint64) {
	n1, now, r := requestStepSetup(t, op, n)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	rd := requestStep(n1, now, r)
	runtime.ReadMemStats(&m1)
	if len(rd.Messages) == 0 {
		t.Fatalf("%v of %d children sent no message", op, n)
	}
	return m1.Mallocs - m0.Mallocs, m1.TotalAlloc - m0.TotalAlloc
}

// TestRouteAllocations bounds what the requesting node allocates to route
// a request by owner (routegroup.go): a fixed number per owner, none per
// child, so 4 times the children add at most a handful of allocations
// (the local owner's part, executed in the same step, sizes its batches
// once too). Before routegroup.go each group's ids and positions grew by
// doubling: a stop of 1,000 children allocated 94 times in the
// requester's step and 108 for 4,000; 45 and 45 after. A start's step
// allocates per child in the local owner's part (startLocal: 1,854 for
// 4,000 children, 630 for 1,000; 1,946 and 694 before), so only the stop
// bounds the requester's routing exactly.
func TestRouteAllocations(t *testing.T) {
	small, _ := requestStepAllocs(t, OpStop, 1000)
	large, _ := requestStepAllocs(t, OpStop, 4000)
	t.Logf("stop: %d allocations in the requester's step for 1,000 children, %d for 4,000", small, large)
	if large > small+4 {
		t.Errorf("the requester's step for a stop allocates %d times for 4,000 children, %d for 1,000: routing allocates per child again", large, small)
	}
	if small > 60 {
		t.Errorf("the requester's step for a stop of 1,000 children allocates %d times, want ≤ 60 (45 when written)", small)
	}
	small, _ = requestStepAllocs(t, OpStart, 1000)
	large, _ = requestStepAllocs(t, OpStart, 4000)
	t.Logf("start: %d allocations for 1,000 children, %d for 4,000", small, large)
	if per := float64(large-small) / 3000; per > 0.45 {
		t.Errorf("the requester's step for a start allocates %.2f times per added child, want ≤ 0.45 (0.41 when written)", per)
	}
}
