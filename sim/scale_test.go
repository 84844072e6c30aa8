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
// cluster: one probe and one ack per 500 ms period, plus anti-entropy (a
// digest and a claims list per 15 s round to each of at most 8 peers in
// rotation, core/syncfanout.go: 8 at 30 nodes with the default 5 min
// tombstone TTL), and bytes per node stay flat (a ping carries a digest,
// not the member list). A crash is dropped by every
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
		probes := msgs - float64(min(n-1, 8))/15 // anti-entropy: a digest (with the claims digest) per round's peer per 15 s
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

// Forming a SWIM cluster sends what every pair of nodes must exchange —
// direct contact and a full sync each way — and no member table per pair:
// doubling the nodes at most quadruples (N²) the messages and bytes sent
// in the first 10 s, where a member list in every contact's answer made
// the bytes grow eightfold (N³: core/swim_join.go).
func TestScaleFormingTrafficGrowsQuadratically(t *testing.T) {
	traffic := func(n int) (msgs, bytes int) {
		sc := NewScaleDetector(n, 1, core.Swim)
		if _, err := sc.Form(); err != nil {
			t.Fatal(err)
		}
		return sc.Sim.Traffic()
	}
	m1, b1 := traffic(40)
	m2, b2 := traffic(80)
	if r := float64(m2) / float64(m1); r > 4.5 {
		t.Errorf("forming 80 nodes sent %d messages, 40 nodes %d: ×%.1f, want at most ×4.5 (N²)", m2, m1, r)
	}
	if r := float64(b2) / float64(b1); r > 4.5 {
		t.Errorf("forming 80 nodes sent %d bytes, 40 nodes %d: ×%.1f, want at most ×4.5 (N²)", b2, b1, r)
	}
	t.Logf("forming: 40 nodes %d messages %d bytes, 80 nodes %d messages %d bytes", m1, b1, m2, b2)
}
