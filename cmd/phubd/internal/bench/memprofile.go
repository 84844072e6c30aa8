package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/phub/phub"
)

// Heap profiles of a start (phubd bench --memprofile): heap bytes do not
// depend on the machine's load, so where a large start's memory goes can
// be measured on a busy machine. A profile taken right after a
// runtime.GC shows, as inuse_space, what is live at that instant (the
// start half done, or complete) and, as alloc_space, everything the
// process allocated so far.

// writeHeapProfile collects garbage and writes a heap profile to
// <prefix>-<n>-<at>.pprof; it does nothing if prefix is empty.
func writeHeapProfile(prefix string, n int, at string) error {
	if prefix == "" {
		return nil
	}
	path := fmt.Sprintf("%s-%d-%s.pprof", prefix, n, at)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	runtime.GC()
	err = pprof.Lookup("heap").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("memprofile %s: %w", path, err)
	}
	return nil
}

// profileAtHalf writes the "half" heap profile once h's index holds n/2
// children, from a goroutine polling every 10 ms; the returned function
// stops the poll and waits for it (it is safe to call twice). With an
// empty prefix it does nothing.
func profileAtHalf(prefix string, n int, h *phub.Hub) (stop func()) {
	if prefix == "" {
		return func() {}
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			if h.Count() >= n/2 {
				if err := writeHeapProfile(prefix, n, "half"); err != nil {
					fmt.Fprintln(os.Stderr, "phubd bench:", err)
				}
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(quit) })
		<-done
	}
}
