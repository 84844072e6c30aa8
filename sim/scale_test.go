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

// Forming a SWIM cluster sends O(N) messages per protocol period: joins
// spread as news and tables, readiness comes from sync stamps
// (core/swim_agree.go), so no pair of nodes needs a contact or a full
// sync of its own. Doubling the nodes at most ×2.5 the messages sent in
// the first 10 s (every pair's contact and full syncs made it ×3.7 from
// 100 to 200 nodes), and the full syncs, welcomes and sync asks grow
// with N, not N²; every node is ready at the end. The bytes too grow at
// most ×2.5: a waiting node learns its peers' stamps in bits
// (core/swim_vouch.go) and gets about one whole member table (its
// welcoming seed's, in the welcome and the pull after it:
// core/swim_join.go), not one per probe (×3.0 from 100
// to 200 nodes, ×3.3 here before: 1.36 → 4.45 MB; now 0.63 → 1.40 MB, ×2.2).
func TestScaleFormingTrafficGrowsNearLinearly(t *testing.T) {
	type traffic struct{ msgs, bytes, syncs int }
	form := func(n int) traffic {
		sc := NewScaleDetector(n, 1, core.Swim)
		if _, err := sc.Form(); err != nil {
			t.Fatal(err)
		}
		for _, name := range sc.nodes {
			if !sc.Sim.Node(name).Readiness().Synced {
				t.Fatalf("%d nodes: %s not ready 10 s after booting", n, name)
			}
		}
		var tr traffic
		tr.msgs, tr.bytes = sc.Sim.Traffic()
		for _, k := range []core.MsgKind{core.MsgReplicate, core.MsgWelcome, core.MsgSyncRequest} {
			m, _ := sc.Sim.TrafficOf(k)
			tr.syncs += m
		}
		return tr
	}
	a, b := form(40), form(80)
	if r := float64(b.msgs) / float64(a.msgs); r > 2.5 {
		t.Errorf("forming 80 nodes sent %d messages, 40 nodes %d: ×%.2f, want at most ×2.5 (near-linear)", b.msgs, a.msgs, r)
	}
	if r := float64(b.syncs) / float64(a.syncs); r > 2.5 {
		t.Errorf("forming 80 nodes sent %d full syncs, welcomes and asks, 40 nodes %d: ×%.2f, want at most ×2.5", b.syncs, a.syncs, r)
	}
	if r := float64(b.bytes) / float64(a.bytes); r > 2.5 {
		t.Errorf("forming 80 nodes sent %d bytes, 40 nodes %d: ×%.2f, want at most ×2.5", b.bytes, a.bytes, r)
	}
	t.Logf("forming: 40 nodes %d messages (%d syncs) %d bytes, 80 nodes %d messages (%d syncs) %d bytes", a.msgs, a.syncs, a.bytes, b.msgs, b.syncs, b.bytes)
}
