package core

import (
	"testing"
	"time"
)

// TestGossipSpreadsATakeoverWellBeforeAntiEntropy: with gossip sync, when
// a child's holder fails and the next node takes the child over (a new
// generation), the new version reaches every live node's registry through
// gossip rounds, in a small fraction of the anti-entropy interval (15 s
// here as by default), not only when anti-entropy repairs it.
func TestGossipSpreadsATakeoverWellBeforeAntiEntropy(t *testing.T) {
	c := newLockstep(t, 5, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Sync = SyncConfig{Kind: Gossip, Interval: 15 * time.Second, FanOut: 2}
	})
	id := c.ownedBy("n2", "g")
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	if rep.Err != nil || len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start of %s: %+v", id, rep)
	}
	c.runFor(time.Second)
	before := c.nodes["n1"].Lookup(id)
	if before == nil || before.Holder != "n2" {
		t.Fatalf("%s before the failure: %+v, want held by n2", id, before)
	}
	c.drop = func(env Envelope) bool { return env.To == "n2" || env.Msg.From == "n2" }
	live := []NodeID{"n1", "n3", "n4", "n5"}
	var taker NodeID
	c.until(func() bool {
		for _, name := range live {
			if e := c.nodes[name].Lookup(id); e != nil && e.Holder == name && e.Epoch > before.Epoch {
				taker = name
				return true
			}
		}
		return false
	}, time.Minute, "a live node takes the child over")
	want := c.nodes[taker].Lookup(id)
	c.until(func() bool {
		for _, name := range live {
			if e := c.nodes[name].Lookup(id); e == nil || e.Epoch != want.Epoch || e.Holder != taker {
				return false
			}
		}
		return true
	}, 2*time.Second, "every live node's registry holds the takeover")
}
