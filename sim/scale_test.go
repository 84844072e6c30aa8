package sim

import (
	"testing"
	"time"
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
