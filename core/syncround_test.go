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
	// Each restart was the sweep's repair, counted on n2 only.
	for _, name := range c.names {
		want := 0
		if name == "n2" {
			want = len(vanished)
		}
		if got := c.nodes[name].Stats().SweepRepairs; got != want {
			t.Errorf("%s: %d sweep repairs, want %d", name, got, want)
		}
	}
}

// TestSweepRepairsNoMarkedChild: a child the sweep reaches while a mark
// covers it — dirty, or at the end of its restart backoff — is no repair:
// the tick's reconcile or tickBackoffs would have reached it anyway.
func TestSweepRepairsNoMarkedChild(t *testing.T) {
	const interval = 500 * time.Millisecond
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Sync.Interval = interval
	})
	if r := c.request("n1", Request{ID: 1, Op: OpStart, Specs: benchSpecs("m", 40), Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.runFor(2 * interval)
	n2 := c.nodes["n2"]
	for id := range n2.local {
		delete(n2.local, id)
		n2.markDirty(id) // vanished, but marked: not the sweep's find
	}
	n2.now = c.now
	n2.sweepRound = 0
	for range sweepRounds {
		n2.sweepPlacement()
	}
	if got := n2.Stats().SweepRepairs; got != 0 {
		t.Errorf("%d sweep repairs of marked children, want 0", got)
	}
	if len(n2.local) == 0 {
		t.Fatal("the sweep restarted none of n2's children: the test shows nothing")
	}
}
