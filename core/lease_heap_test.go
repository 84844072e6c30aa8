package core

import (
	"fmt"
	"testing"
	"time"
)

// TestLeaseHeapInitOrdersAnyContents: init turns arbitrary contents of
// every small size into a heap (the smallest lease on top, each parent
// no larger than its children) in bounded work — a rebuild runs inside
// a node's input and must return. The watchdog's 20 s are for a loaded
// machine; init of these sizes takes microseconds.
func TestLeaseHeapInitOrdersAnyContents(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		for n := 0; n <= 40; n++ {
			h := make(leaseHeap, 0, n)
			for i := 0; i < n; i++ {
				h = append(h, leaseEntry{until: Mono((i * 7919) % 13), id: ChildID(fmt.Sprintf("c%02d", (i*17)%41))})
			}
			h.init()
			for i := 1; i < len(h); i++ {
				if h.less(i, (i-1)/2) {
					done <- fmt.Errorf("size %d: entry %d %v is below its parent %v", n, i, h[i], h[(i-1)/2])
					return
				}
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("init of a heap of at most 40 entries did not return within 20 s")
	}
}
