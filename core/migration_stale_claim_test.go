package core

import (
	"fmt"
	"testing"
	"time"
)

// TestHotSwapStateHolderHandsBackToAStaleClaim: a hot-swap instance that
// got its state from the old holder's instance is the child's state
// holder, though the old holder's claim (an older epoch) may still be in
// view, its retraction not yet here. When the child moves back to the
// old holder, the instance hands its state over and stops once the old
// holder's new instance runs, like any hot swap. Before, release read the
// older claim as "ours is a newcomer with nothing to hand on" and stopped
// the instance at once: its state was lost and the old holder's takeover
// started without it (childcrash seed 140 at 4357545: a cordon of n2
// 18 ms after n2's instances got n1's state; n1's takeovers then stopped
// before n2's restarts ran, checks.HotSwapRunsFirst).
func TestHotSwapStateHolderHandsBackToAStaleClaim(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: 2 * time.Second, Handover: true}
	})
	id := c.ownedBy("n1", "s")
	n1, n2 := c.nodes["n1"], c.nodes["n2"]

	// Every instance holds a state: its own at a fresh start, else the
	// one given at its start or delivered; a request for it is answered.
	state := map[string]string{} // "node#instance" -> state
	key := func(node NodeID, inst uint64) string { return fmt.Sprintf("%s#%d", node, inst) }
	seen := map[NodeID]int{}
	serve := func() {
		for again := true; again; {
			again = false
			for _, name := range c.names {
				for ; seen[name] < len(c.effects[name]); seen[name]++ {
					e := c.effects[name][seen[name]]
					if e.ID != id {
						continue
					}
					switch e.Kind {
					case EffectStart:
						state[key(name, e.Instance)] = string(e.State)
						if e.State == nil {
							state[key(name, e.Instance)] = "fresh " + key(name, e.Instance)
						}
					case EffectDeliverHandover:
						state[key(name, e.Instance)] = string(e.State)
					case EffectRequestHandover:
						c.nodes[name].ChildEvent(c.now, ChildEvent{Kind: ChildHandoverState, ID: id, Instance: e.Instance, State: []byte(state[key(name, e.Instance)])})
						again = true
					}
				}
			}
			if again {
				c.pump()
			}
		}
	}
	until := func(cond func() bool, what string) {
		t.Helper()
		end := c.now.Add(10 * time.Second)
		for serve(); !cond(); serve() {
			if c.now > end {
				t.Fatalf("%s: not within 10s", what)
			}
			c.tick()
		}
	}
	do := func(node NodeID, r Request) {
		t.Helper()
		c.nodes[node].Request(c.now, r)
		c.pump()
		until(func() bool {
			for _, rep := range c.replies[node] {
				if rep.ID == r.ID {
					return true
				}
			}
			return false
		}, fmt.Sprintf("reply to %s", r.Op))
	}

	do("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	first := n1.local[id]
	if first == nil {
		t.Fatalf("%s does not run on n1", id)
	}
	orig := state[key("n1", first.instance)]

	// n2 never hears that n1's instance is gone (its claim retraction is
	// lost, as when the cordon below comes first).
	c.drop = func(env Envelope) bool {
		return env.Msg.From == "n1" && env.To == "n2" && (env.Msg.Kind == MsgClaims || env.Msg.Kind == MsgDigest)
	}
	do("n1", Request{ID: 2, Op: OpCordon, Target: "n1"})
	until(func() bool { return n1.local[id] == nil }, "n1 hands the child to n2 and stops")
	moved := n2.local[id]
	if moved == nil || moved.status != childRunning || state[key("n2", moved.instance)] != orig {
		t.Fatalf("n2 does not run the child with n1's state %q: %+v, %q", orig, moved, state)
	}
	if cl, ok := n2.reg.claim("n1", id); !ok || cl.Epoch >= moved.epoch {
		t.Fatalf("n2 does not see n1's older claim (%+v, %v): the test does not test a stale claim", cl, ok)
	}

	// Back to n1, whose new instance is slow to run.
	held := c.holdStartsOf("n1", id)
	n1.Request(c.now, Request{ID: 3, Op: OpUncordon, Target: "n1"})
	c.pump()
	c.drop = nil
	until(func() bool { return len(held.list) > 0 || n2.local[id] != moved }, "n1 starts the child again")
	if n2.local[id] != moved {
		t.Fatal("n2 stopped the instance that holds the child's state before n1's new instance ran")
	}
	c.runFor(300 * time.Millisecond)
	serve()
	if n2.local[id] != moved {
		t.Fatal("n2 stopped the instance that holds the child's state while n1's new instance was still starting")
	}
	last := held.list[len(held.list)-1]
	n1.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: last.Instance})
	c.pump()
	until(func() bool { return n2.local[id] == nil }, "n2 stops once n1's instance runs")
	if l := n1.local[id]; l == nil || l.instance != last.Instance || state[key("n1", l.instance)] != orig {
		t.Fatalf("n1's new instance does not hold the child's state %q: %+v, %q", orig, l, state)
	}
}
