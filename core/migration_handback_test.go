package core

import (
	"testing"
	"time"
)

// TestHotSwapHandBackStartsOnceTheOldInstanceStops: a child moves from
// n1 to n2 (n1 cordoned) and back (uncordoned) before n1's instance got
// the acknowledgement that stops it. n2 hands the state back to n1,
// which ignores it while its own, older instance runs; the late
// acknowledgement then stops n1's instance, and the child, placed on n1
// again, must start there at once (given n2's state when n2 resends it).
// Before, nothing reconciled the child after that stop: n1 started it
// only when something else touched it — n2's stop at Retention (5 s
// here), or a view change (partition seed 25: n2 started c5 4.98 s
// after its stop, when it took the others for down).
func TestHotSwapHandBackStartsOnceTheOldInstanceStops(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: 5 * time.Second, Handover: true}
	})
	id := c.ownedBy("n1", "b")
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	n1, n2 := c.nodes["n1"], c.nodes["n2"]
	old := n1.local[id]
	if old == nil {
		t.Fatalf("%s does not run on n1", id)
	}
	// answer gives every state asked of node's instances of id.
	answered := map[NodeID]int{}
	answer := func(node NodeID, state string) {
		es := c.effects[node]
		for _, e := range es[answered[node]:] {
			if e.Kind == EffectRequestHandover && e.ID == id {
				c.nodes[node].ChildEvent(c.now, ChildEvent{Kind: ChildHandoverState, ID: id, Instance: e.Instance, State: []byte(state)})
			}
		}
		answered[node] = len(es)
		c.pump()
	}

	// n1 cordoned: n2 takes the child over and gets n1's state; its
	// acknowledgement to n1 is lost for now.
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgHandoverAck && env.To == "n1" }
	c.request("n1", Request{ID: 2, Op: OpCordon, Target: "n1"})
	c.until(func() bool {
		answer("n1", "from-n1")
		l := n2.local[id]
		return l != nil && l.status == childRunning && !l.awaitingState
	},
		10*time.Second, "n2 runs the child with n1's state")
	if n1.local[id] != old {
		t.Fatal("n1 stopped its instance without the acknowledgement")
	}

	// n1 uncordoned: the child is placed on n1 again; n2 hands the state
	// back, which n1 ignores while its older instance runs.
	c.request("n2", Request{ID: 3, Op: OpUncordon, Target: "n1"})
	c.until(func() bool {
		answer("n2", "from-n2")
		return n2.local[id].handover != nil && n2.local[id].handover.sent
	},
		10*time.Second, "n2 sends its state back to n1")
	if n1.local[id] != old {
		t.Fatal("n1 stopped its instance before the acknowledgement")
	}

	// The acknowledgement gets through: n1's old instance stops, and a
	// new one starts there with n2's state.
	c.drop = nil
	c.until(func() bool { return n1.local[id] != old }, 10*time.Second, "n1's old instance stops on the acknowledgement")
	stopped := c.now
	c.until(func() bool { l := n1.local[id]; return l != nil && l.status == childRunning }, 10*time.Second, "n1 runs the child again")
	if d := c.now.Sub(stopped); d > time.Second {
		t.Fatalf("n1 started the child placed on it %v after its old instance stopped (Retention 5 s): nothing reconciled it", d)
	}
	c.until(func() bool { return n2.local[id] == nil }, 10*time.Second, "n2's instance stops once n1's runs")
	got := false
	for _, e := range c.effects["n1"] {
		if e.ID == id && e.Instance == n1.local[id].instance && (e.Kind == EffectStart || e.Kind == EffectDeliverHandover) && string(e.State) == "from-n2" {
			got = true
		}
	}
	if !got {
		t.Fatal("n1's new instance was not given the state n2 handed back")
	}
}
