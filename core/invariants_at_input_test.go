package core

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestInvariantsStopAtTheInputThatBrokeTheDigest: with
// Config.CheckInvariants a node whose tombstone collection forgets the
// digest (Broken.DigestIgnoresRemoval) panics at the very input that
// collected it, naming that input's entry changes — not inputs later at
// the sampled full recomputation, where the path that did it is gone.
func TestInvariantsStopAtTheInputThatBrokeTheDigest(t *testing.T) {
	c := newLockstep(t, 1, func(cfg *Config) {
		fastTiming(cfg)
		cfg.CheckInvariants = true
		cfg.Broken.DigestIgnoresRemoval = true
		cfg.Timing.TombstoneTTL = time.Second
		cfg.Sync.Interval = 200 * time.Millisecond // collection runs at anti-entropy rounds
	})
	var ids []ChildID
	for i := 0; i < 5; i++ {
		ids = append(ids, ChildID(fmt.Sprint("c", i)))
	}
	var specs []ChildSpec
	for _, id := range ids {
		specs = append(specs, ChildSpec{ID: id})
	}
	c.request("n1", Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
	c.request("n1", Request{ID: 2, Op: OpStop, IDs: ids})
	p := func() (p any) {
		defer func() { p = recover() }()
		c.runFor(5 * time.Second)
		return nil
	}()
	if p == nil {
		t.Fatal("the stale digest went unnoticed for 5 s past the tombstones' expiry")
	}
	if msg := fmt.Sprint(p); !strings.Contains(msg, "invariant broken: registry digest") || !strings.Contains(msg, "after this input's") {
		t.Fatalf("panicked, but not at the input that collected a tombstone: %s", msg)
	}
}

// TestCheckInvariantsCatchesNegativeCounters: the checks refuse a
// request's open-result count below zero and the O(1) checks (run after
// every input) a live-entry count below zero: the values a double
// decrement leaves.
func TestCheckInvariantsCatchesNegativeCounters(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgReplicateAck }
	id := c.ownedBy("n1", "c")
	n := c.nodes["n1"]
	n.Request(c.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	c.pump()
	p := n.pending.reqs[1]
	if p == nil {
		t.Fatal("the awaited start is not pending")
	}
	if err := n.CheckInvariants(); err != nil {
		t.Fatalf("healthy node: %v", err)
	}
	open := p.open
	p.open = -1
	if err := n.CheckInvariants(); err == nil || !strings.Contains(err.Error(), "awaits -1") {
		t.Errorf("open results -1: %v, want an error naming it", err)
	}
	p.open = open
	// The O(1) checks run after every input; the recount, which would
	// see it too, only at the sampler's pace.
	n.reg.live = -1
	if err := n.cheapInvariants(); err == nil || !strings.Contains(err.Error(), "-1 live entries") {
		t.Errorf("live entries -1: %v, want the O(1) checks to name it", err)
	}
}
