package sim

import (
	"strings"
	"testing"
	"time"
)

// failoverSeeds is how many of the crash class's availability seeds
// (availabilitySeeds: the report's) TestFailoverWithinDetection runs.
const failoverSeeds = 20

// TestFailoverWithinDetection: under divergence, a child whose node
// crashed runs again within one RetryInterval of detection — the earlier
// of DownAfter (a peer takes it over) and the node's return (the node
// restarts it) — in the crash class's availability seeds. Session 12
// suspected the crash row's p50 (305 ms → 1.018 s with 9c1dae5, a stop's
// claim retraction riding in its owner's replication round) of such a
// wait; the gaps of ~1 s were nodes that a crash-after-ack fault
// restarted after 1 s, before their DownAfter of 5 s (production) or 8 s
// (wan) was up, restarting their own children (crash seeds 19 and 24);
// no child waited beyond detection for more than 68 ms. A takeover that
// waited for a round, a retry or a sync after the crash would exceed the
// bound here. Divergence only: majority quorum rightly waits for a
// majority when crashes overlap (crash seed 6: 359 ms), and strict waits
// out the crashed node's lease. availability-children's crash lines
// (crashLines) name each of those crashes once.
func TestFailoverWithinDetection(t *testing.T) {
	elsewhere, inPlace := 0, 0
	for _, seed := range availabilitySeeds(ClassCrash, failoverSeeds) {
		_, s := RunSeedSim(ClassCrash, seed, availabilityOptions("divergence", Draw(ClassCrash, seed).Nodes))
		crashes := map[crashRecord]bool{}
		for _, f := range s.crashFailovers() {
			if f.pinned {
				continue // guided: waits for its node by design
			}
			crashes[f.crash] = true
			detection := f.crash.detection(s.now)
			if b := f.beyond(s.now); b > f.crash.retry {
				t.Errorf("crash seed %d: %s crashed at +%v (back %v later, DownAfter %v): %s ran again after %v (on %q), %v after detection, want at most RetryInterval %v",
					seed, f.crash.node, f.crash.at.Sub(s.start), backAfter(f.crash), f.crash.downAfter, f.child, f.gap, f.on, b, f.crash.retry)
			}
			switch {
			case f.on == f.crash.node && detection < f.crash.downAfter:
				inPlace++
			case f.on != "" && f.on != f.crash.node:
				elsewhere++
			}
		}
		if lines := s.crashLines(); len(lines) != len(crashes) {
			t.Errorf("crash seed %d: %d crash lines for %d crashes that stopped children:\n%s", seed, len(lines), len(crashes), strings.Join(lines, "\n"))
		}
	}
	// Both ways back must occur, or the bound was not tested on them.
	if elsewhere == 0 || inPlace == 0 {
		t.Errorf("%d failovers to another node, %d restarts in place by a node back before DownAfter: want both", elsewhere, inPlace)
	}
}

// TestFailoverDetection: detection is the earlier of DownAfter and the
// node's return, and a crash the run never saw end lasts until now.
func TestFailoverDetection(t *testing.T) {
	at := DefaultStart
	c := crashRecord{at: at, downAfter: 5 * time.Second}
	if got := c.detection(at.Add(time.Minute)); got != 5*time.Second {
		t.Errorf("never back, a minute run: detection %v, want DownAfter 5s", got)
	}
	if got := c.detection(at.Add(2 * time.Second)); got != 2*time.Second {
		t.Errorf("never back, run ends 2s after: detection %v, want 2s", got)
	}
	c.back = at.Add(time.Second)
	if got := c.detection(at.Add(time.Minute)); got != time.Second {
		t.Errorf("back after 1s: detection %v, want 1s", got)
	}
	f := failover{crash: c, gap: 1018 * time.Millisecond}
	if got := f.beyond(at.Add(time.Minute)); got != 18*time.Millisecond {
		t.Errorf("gap 1.018s, back after 1s: beyond %v, want 18ms", got)
	}
	f.gap = 900 * time.Millisecond
	if got := f.beyond(at.Add(time.Minute)); got != 0 {
		t.Errorf("gap 0.9s, back after 1s: beyond %v, want 0", got)
	}
}
