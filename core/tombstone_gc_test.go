package core

import (
	"testing"
	"time"
)

// TestAwayMemberHoldsTombstones: a member cut off while a child is stopped
// keeps its live version of the child; if the others collected the
// tombstone while it was away (past TombstoneTTL), its return would bring
// the child back to life. They hold the tombstone until the member is
// back and merged, and collect it afterwards.
func TestAwayMemberHoldsTombstones(t *testing.T) {
	for _, broken := range []bool{false, true} {
		c := newLockstep(t, 3, func(cfg *Config) {
			fastTiming(cfg)
			cfg.Timing.TombstoneTTL = 5 * time.Second
			cfg.Timing.ForgetDownAfter = time.Minute
			cfg.Sync.Interval = time.Second
			cfg.Broken.CollectWhileMemberDown = broken
			cfg.Durable = true
		})
		id := c.ownedBy("n1", "away")
		if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); rep.Results[0].Err != "" {
			t.Fatalf("start: %+v", rep)
		}
		c.runFor(time.Second)
		if e := c.nodes["n3"].Lookup(id); e == nil {
			t.Fatalf("n3 never learned %s", id)
		}
		c.drop = func(env Envelope) bool { return env.To == "n3" || env.Msg.From == "n3" }
		c.until(func() bool { return len(c.nodes["n1"].View()) == 2 && len(c.nodes["n2"].View()) == 2 }, time.Minute, "n3 seen down")
		if rep := c.request("n1", Request{ID: 2, Op: OpStop, IDs: []ChildID{id}, Stop: StopOptions{Await: true}}); rep.Results[0].Err != "" {
			t.Fatalf("stop: %+v", rep)
		}
		c.runFor(c.nodes["n1"].cfg.Timing.TombstoneTTL + 3*time.Second)
		_, _, held := c.nodes["n1"].reg.tombstone(id)
		if !broken && !held {
			t.Fatalf("n1 collected the tombstone of %s while n3, which holds a live version, is away", id)
		}
		c.drop = nil
		c.until(func() bool {
			for _, name := range c.names {
				if !c.nodes[name].ready() || len(c.nodes[name].View()) != 3 {
					return false
				}
			}
			return true
		}, time.Minute, "n3 back and merged")
		c.runFor(3 * time.Second)
		resurrected := false
		for _, name := range c.names {
			if e := c.nodes[name].Lookup(id); e != nil {
				resurrected = true
				if !broken {
					t.Fatalf("%s is live again on %s after n3's return: %+v", id, name, e)
				}
			}
		}
		if broken && !resurrected {
			t.Fatalf("CollectWhileMemberDown: %s not brought back by n3's return; the test cannot fail", id)
		}
		if !broken {
			c.runFor(c.nodes["n1"].cfg.Timing.TombstoneTTL + 3*time.Second)
			for _, name := range c.names {
				if _, _, ok := c.nodes[name].reg.tombstone(id); ok {
					t.Fatalf("%s still holds the tombstone of %s with every member back", name, id)
				}
			}
		}
	}
}
