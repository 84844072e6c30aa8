package core

import (
	"testing"
	"time"
)

// TestSweepRechecksEveryChildWithinItsRounds: the periodic round
// reconciles a rotating slice of the children, not every child
// (syncround.go). Every local instance of n2 vanishes without an exit
// report; only the sweep notices. No round restarts all of them (each
// visits about a sweepRounds-th of the ids), and within sweepRounds
// rounds every one runs again (one more interval: the first may end
// just before its round).
func TestSweepRechecksEveryChildWithinItsRounds(t *testing.T) {
	const interval = 500 * time.Millisecond
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Sync.Interval = interval
	})
	if r := c.request("n1", Request{ID: 1, Op: OpStart, Specs: benchSpecs("s", 120), Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.runFor(2 * interval) // every node quiet, nothing dirty
	n2 := c.nodes["n2"]
	vanished := map[ChildID]bool{}
	for id := range n2.local {
		vanished[id] = true
		delete(n2.local, id)
	}
	if len(vanished) < 2*sweepRounds {
		t.Fatalf("n2 runs %d children; want at least %d", len(vanished), 2*sweepRounds)
	}
	c.effects["n2"] = nil
	restarted := map[ChildID]bool{}
	var perRound []int
	for round := 0; round < sweepRounds+1 && len(restarted) < len(vanished); round++ {
		before := len(restarted)
		c.runFor(interval)
		for _, e := range c.effects["n2"] {
			if e.Kind == EffectStart && vanished[e.ID] {
				restarted[e.ID] = true
			}
		}
		perRound = append(perRound, len(restarted)-before)
	}
	t.Logf("restarted per interval: %v", perRound)
	if len(restarted) != len(vanished) {
		t.Fatalf("%d of n2's %d vanished instances restarted within %d rounds (per round %v)", len(restarted), len(vanished), sweepRounds+1, perRound)
	}
	if len(perRound) < 2 {
		t.Errorf("every vanished instance restarted in one round (%v): the round reconciled every child", perRound)
	}
}
