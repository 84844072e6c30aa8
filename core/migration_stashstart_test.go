package core

import (
	"fmt"
	"testing"
	"time"
)

// TestHotSwapTakeoverGivenStashedStateHandsItOn: a hot-swap takeover
// that starts while the old holder still claims the child, but is given
// the child's state from the stash at its start (a graceful leave's
// handover here, or a renewal's), is not awaiting state: when the child
// moves on, it hands that state over and stops only once the new
// instance runs. Marked awaitingState, it stopped at once without a
// handover (mix seed 77 before 9b8d7fa: b12's renewed instance stopped the
// moment n4 claimed the child, before n4's instance ran; fixed by
// 9b8d7fa, which had no core test).
func TestHotSwapTakeoverGivenStashedStateHandsItOn(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: 2 * time.Second, Handover: true}
	})
	n1, n2, n3 := c.nodes["n1"], c.nodes["n2"], c.nodes["n3"]
	// A child the ring places on n1, then n2, then n3.
	var id ChildID
	for i := 0; i < 1000 && id == ""; i++ {
		cand := ChildID(fmt.Sprintf("t-%d", i))
		if pl := n1.ring.successors(nil, cand, 3); len(pl) == 3 && pl[0] == "n1" && pl[1] == "n2" {
			id = cand
		}
	}
	if id == "" {
		t.Fatal("no child placed n1, n2, n3")
	}
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	if n1.local[id] == nil {
		t.Fatalf("%s does not run on n1", id)
	}
	// n1's instance never gives its state (nobody answers its request):
	// the only state n2 gets is the one stashed now, a graceful leave's
	// handover from n3's earlier instance.
	n2.Step(c.now, Message{Kind: MsgHandover, Hub: n2.cfg.HubID, From: "n3", Inc: 1, Seq: 9, IDs: []ChildID{id}, State: []byte("stashed"), Epoch: 1, Full: true})
	c.pump()
	if _, ok := n2.migr.stash[id]; !ok {
		t.Fatal("n2 did not stash the leave's handover")
	}
	c.request("n1", Request{ID: 2, Op: OpCordon, Target: "n1"})
	taken := n2.local[id]
	if taken == nil {
		t.Fatal("n2 did not take the child over")
	}
	given := false
	for _, e := range c.effects["n2"] {
		given = given || (e.Kind == EffectStart && e.ID == id && e.Instance == taken.instance && string(e.State) == "stashed")
	}
	if !given {
		t.Fatal("n2's takeover was not given the stashed state")
	}
	if _, claims := n2.reg.claim("n1", id); !claims || n1.local[id] == nil {
		t.Fatal("n1 no longer runs the child: the takeover did not start with the old holder alive")
	}

	// The child moves on to n3, whose instance is slow to run.
	held := c.holdStartsOf("n3", id)
	n2.Request(c.now, Request{ID: 3, Op: OpCordon, Target: "n2"})
	c.pump()
	c.until(func() bool { return len(held.list) > 0 }, 5*time.Second, "n3 starts the child")
	if n2.local[id] != taken {
		t.Fatal("n2's takeover, given its state from the stash, stopped when n3 claimed the child, before n3's instance ran and without handing the state on")
	}
	var asked bool
	for _, e := range c.effects["n2"] {
		asked = asked || (e.Kind == EffectRequestHandover && e.ID == id && e.Instance == taken.instance)
	}
	if !asked {
		t.Fatal("n2 did not ask its instance for the state to hand on")
	}
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildHandoverState, ID: id, Instance: taken.instance, State: []byte("stashed")})
	c.pump()
	last := held.list[len(held.list)-1]
	delivered := false
	for _, e := range c.effects["n3"] {
		delivered = delivered || (e.Kind == EffectDeliverHandover && e.ID == id && e.Instance == last.Instance && string(e.State) == "stashed")
	}
	if !delivered {
		t.Fatal("n3's instance did not get the state n2's takeover handed on")
	}
	if n2.local[id] != taken {
		t.Fatal("n2 stopped before n3's instance ran")
	}
	n3.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: last.Instance})
	c.pump()
	if n2.local[id] != nil {
		t.Fatal("n2 kept its instance after n3's ran")
	}
}
