package core

import (
	"testing"
	"time"
)

// TestHotSwapRenewalOfAChildThatMovedAwayKeepsTheInstance: a renewal (a
// stale generation restarted here, renewWithState) asks the old instance
// for its state, stashes it here and stops the instance, for the next
// generation to start here with it. If the child moved away before the
// state came, with no new holder claiming it yet, nothing renews here:
// the instance keeps running and, once the new holder claims the child,
// hands its state over and stops only once the new instance runs.
// Before, it stopped and stashed its state where no instance started
// (nontransitive seed 296 at 4ab3d04: n1 stopped b109's e1 instance 3 ms
// before n2 started its takeover, which, never given a state, then
// stopped before n1's renewed instance ran: checks.HotSwapRunsFirst).
func TestHotSwapRenewalOfAChildThatMovedAwayKeepsTheInstance(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: 5 * time.Second, Handover: true}
	})
	id := c.ownedBy("n1", "r")
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	n1, n2 := c.nodes["n1"], c.nodes["n2"]
	l := n1.local[id]
	if l == nil {
		t.Fatalf("%s does not run on n1", id)
	}
	n1.renewWithState(l)
	c.pump()

	// The child moves to n2, whose claim n1 does not see yet.
	c.drop = func(env Envelope) bool {
		return env.Msg.From == "n2" && env.To == "n1" && (env.Msg.Kind == MsgClaims || env.Msg.Kind == MsgDigest)
	}
	held := c.holdStartsOf("n2", id)
	c.request("n1", Request{ID: 2, Op: OpCordon, Target: "n1"})
	if n1.placedHere(id) {
		t.Fatalf("%s is still placed on n1 after its cordon", id)
	}
	if _, claimed := n1.reg.claim("n2", id); claimed {
		t.Fatal("n1 sees n2's claim: the test does not test a renewal with no new holder in view")
	}
	// Only now does the old instance give the renewal its state.
	n1.ChildEvent(c.now, ChildEvent{Kind: ChildHandoverState, ID: id, Instance: l.instance, State: []byte("kept")})
	c.pump()
	if n1.local[id] != l {
		t.Fatal("n1 stopped its instance for a renewal although the child moved away")
	}
	if _, ok := n1.migr.stash[id]; ok {
		t.Fatal("n1 stashed the state for a renewal although the child moved away")
	}

	// Once n1 sees n2's claim, it hands the state to n2's instance and
	// stops once that one runs.
	c.drop = nil
	asked := func() bool {
		for _, e := range c.effects["n1"] {
			if e.Kind == EffectRequestHandover && e.ID == id && e.Instance == l.instance {
				return true
			}
		}
		return false
	}
	c.effects["n1"] = nil
	c.until(asked, 10*time.Second, "n1 asks its instance for the state to hand to n2")
	n1.ChildEvent(c.now, ChildEvent{Kind: ChildHandoverState, ID: id, Instance: l.instance, State: []byte("kept")})
	c.pump()
	if len(held.list) == 0 {
		t.Fatal("n2 did not start the child")
	}
	last := held.list[len(held.list)-1]
	delivered := false
	for _, e := range c.effects["n2"] {
		delivered = delivered || (e.Kind == EffectDeliverHandover && e.ID == id && e.Instance == last.Instance && string(e.State) == "kept")
	}
	if !delivered {
		t.Fatal("n2's instance did not get n1's state")
	}
	if n1.local[id] != l {
		t.Fatal("n1 stopped before n2's instance ran")
	}
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: last.Instance})
	c.pump()
	if n1.local[id] != nil {
		t.Fatal("n1 kept its instance after n2's ran")
	}
}
