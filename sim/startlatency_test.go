package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// TestChildStartLatencyDelaysRunning: with Options.ChildStartLatency every
// instance reports running (checks.Instance.Ran) between ChildStartDelay
// and ChildStartDelay+ChildStartLatency after its start, the latencies
// differ between starts, and a seed replays them exactly; without it each
// runs ChildStartDelay after its start.
func TestChildStartLatencyDelaysRunning(t *testing.T) {
	const base, latency = 2 * time.Millisecond, 20 * time.Millisecond
	run := func(lat time.Duration) ([]time.Duration, uint64) {
		s := New(Options{Seed: 7, ChildStartLatency: lat})
		for i := 1; i <= 3; i++ {
			if err := s.AddNode(core.NodeID(fmt.Sprintf("n%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		s.RunFor(2 * time.Second)
		if _, err := s.Request("n1", core.Request{Op: core.OpStart, Specs: specs("l", 40), Start: core.StartOptions{Await: true}}); err != nil {
			t.Fatal(err)
		}
		s.RunFor(2 * time.Second)
		var ds []time.Duration
		for _, in := range s.Instances() {
			if in.Ran == 0 {
				t.Fatalf("instance %s never reported running", in)
			}
			ds = append(ds, time.Duration(in.Ran-in.Start))
		}
		if len(ds) != 40 {
			t.Fatalf("%d instances, want 40", len(ds))
		}
		return ds, s.TraceHash()
	}
	plain, _ := run(0)
	for _, d := range plain {
		if d != base {
			t.Fatalf("without latency an instance ran %s after its start, want %s", d, base)
		}
	}
	ds, h1 := run(latency)
	lo, hi := ds[0], ds[0]
	for _, d := range ds {
		if d < base || d > base+latency {
			t.Fatalf("an instance ran %s after its start, want within [%s, %s]", d, base, base+latency)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if hi-lo < latency/2 {
		t.Fatalf("latencies span %s..%s: not drawn per start", lo, hi)
	}
	if _, h2 := run(latency); h1 != h2 {
		t.Fatalf("the same seed with latency traced %x, then %x", h1, h2)
	}
}
