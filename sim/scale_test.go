package sim

import (
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// TestScaleFiguresOfFiveNodes runs the node-scaling measurement on 5
// nodes and checks each figure against what the protocol promises: a
// cluster forms within a few heartbeats, an idle node sends about one
// heartbeat per peer per interval plus anti-entropy, a start reaches every
// registry within a few network round trips, and a crash is detected after
// DownAfter plus a heartbeat interval.
func TestScaleFiguresOfFiveNodes(t *testing.T) {
	sc := NewScale(5, 1)
	formed, err := sc.Form()
	if err != nil {
		t.Fatal(err)
	}
	if formed > 2*time.Second {
		t.Errorf("5 nodes formed after %v, want within 2 s", formed)
	}
	if err := sc.Start(100); err != nil {
		t.Fatal(err)
	}
	msgs, bytes := sc.Idle()
	// 4 peers × 2 heartbeats/s = 8 messages/s, plus anti-entropy digests.
	if msgs < 8 || msgs > 12 || bytes <= 0 {
		t.Errorf("idle node sends %.1f messages/s (%.0f B/s), want 8–12", msgs, bytes)
	}
	prop, err := sc.Propagate("probe")
	if err != nil {
		t.Fatal(err)
	}
	if prop > 50*time.Millisecond {
		t.Errorf("a start reached every registry after %v, want ≤ 50 ms", prop)
	}
	det, err := sc.Detect()
	if err != nil {
		t.Fatal(err)
	}
	if det < 5*time.Second || det > 6*time.Second {
		t.Errorf("crash detected by every node after %v, want DownAfter (5 s) to 6 s", det)
	}
	t.Logf("5 nodes: formed %v, idle %.1f msg/s %.0f B/s per node, propagation %v, detection %v", formed, msgs, bytes, prop, det)
}

// With the SWIM detector an idle node's traffic does not grow with the
// cluster beyond anti-entropy (a digest and a claims list per peer per
// 15 s): one probe
// and one ack per 500 ms period, and bytes per node stay flat (a ping
// carries a digest, not the member list). A crash is dropped by every
// view after DownAfter of suspicion plus the probes and news that spread
// it: more than DownAfter, within a round of probes more.
func TestScaleFiguresOfSwim(t *testing.T) {
	type figs struct {
		msgs, bytes float64
		det         time.Duration
	}
	got := map[int]figs{}
	for _, n := range []int{5, 30} {
		sc := NewScaleDetector(n, 1, core.Swim)
		if _, err := sc.Form(); err != nil {
			t.Fatal(err)
		}
		if err := sc.Start(100); err != nil {
			t.Fatal(err)
		}
		msgs, bytes := sc.Idle()
		det, err := sc.Detect()
		if err != nil {
			t.Fatal(err)
		}
		probes := msgs - 2*float64(n-1)/15 // anti-entropy: a digest and claims per peer per 15 s
		if probes < 3.5 || probes > 4.5 {
			t.Errorf("%d swim nodes: %.1f messages/s per node beside anti-entropy, want a ping and an ack per 500 ms period (4)", n, probes)
		}
		if det < 5*time.Second || det > 5*time.Second+time.Duration(2*n)*500*time.Millisecond {
			t.Errorf("%d swim nodes: crash dropped by every view after %v, want DownAfter (5 s) to DownAfter plus two rounds of probes", n, det)
		}
		got[n] = figs{msgs, bytes, det}
		t.Logf("%d swim nodes: idle %.1f msg/s %.0f B/s per node, detection %v", n, msgs, bytes, det)
	}
	if got[30].bytes > 2*got[5].bytes {
		t.Errorf("idle bytes per node %.0f at 30 nodes, %.0f at 5: want flat (a digest, not the member list)", got[30].bytes, got[5].bytes)
	}
}
