package core

import (
	"testing"
	"time"
)

// TestHotSwapHandoverOfAChildPlacedElsewhereIsNotAcked: a hot-swap
// handover reaching a node that runs no instance of the child and is not
// where the child is placed (its placement moved on, back to the sender
// perhaps) is neither stashed nor acknowledged, so the sender keeps its
// instance. One for a child placed here is stashed (the instance starts
// soon) and acknowledged only once that instance runs
// (TestHotSwapStashedHandoverAckedOnceTheInstanceRuns); a graceful
// leave's (full) handover is stashed and acknowledged at once.
func TestHotSwapHandoverOfAChildPlacedElsewhereIsNotAcked(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: time.Second, Handover: true}
	})
	elsewhere := c.ownedBy("n1", "e")
	here := c.ownedBy("n2", "h")
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: elsewhere}, {ID: here}}, Start: StartOptions{Await: true}})
	if len(rep.Results) != 2 || rep.Results[0].Err != "" || rep.Results[1].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	n2 := c.nodes["n2"]
	n2.stopLocal(here) // placed here, not running (as between a crash and its restart)
	n2.Ready()
	handover := func(id ChildID, full bool) (acked, stashed bool) {
		t.Helper()
		n2.Step(c.now, Message{Kind: MsgHandover, Hub: n2.cfg.HubID, From: "n3", Inc: 1, Seq: 7, IDs: []ChildID{id}, State: []byte("s"), Epoch: 1, Full: full})
		for _, env := range n2.Ready().Messages {
			acked = acked || (env.Msg.Kind == MsgHandoverAck && env.To == "n3")
		}
		_, stashed = n2.migr.stash[id]
		return acked, stashed
	}
	if acked, stashed := handover(elsewhere, false); acked || stashed {
		t.Fatalf("hot swap of a child placed elsewhere: acked %v, stashed %v; want neither", acked, stashed)
	}
	if acked, stashed := handover(here, false); acked || !stashed {
		t.Fatalf("hot swap of a child placed here: acked %v, stashed %v; want stashed, not acked", acked, stashed)
	}
	if acked, stashed := handover(elsewhere, true); !acked || !stashed {
		t.Fatalf("graceful leave's handover: acked %v, stashed %v; want both", acked, stashed)
	}
}

// TestRenewalWithoutStateStopsAtRetention: a renewal (a stale
// generation restarted here) waits for the old instance's state at most
// Retention; an instance that never gives it is then stopped, and the
// next one starts without state.
func TestRenewalWithoutStateStopsAtRetention(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: time.Second, Handover: true}
	})
	id := c.ownedBy("n1", "r")
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	n1 := c.nodes["n1"]
	l := n1.local[id]
	n1.renewWithState(l)
	asked := false
	for _, e := range n1.Ready().Effects {
		asked = asked || (e.Kind == EffectRequestHandover && e.ID == id && e.Instance == l.instance)
	}
	if !asked {
		t.Fatal("a renewal under hot swap with handover did not ask the old instance for its state")
	}
	n1.Tick(c.now.Add(time.Second / 2))
	if n1.local[id] != l {
		t.Fatal("the old instance stopped before its state came or Retention passed")
	}
	n1.Tick(c.now.Add(time.Second))
	stopped := false
	for _, e := range n1.Ready().Effects {
		stopped = stopped || (e.Kind == EffectStop && e.ID == id && e.Instance == l.instance)
	}
	if !stopped {
		t.Fatal("the old instance still runs after Retention")
	}
	if _, ok := n1.migr.stash[id]; ok {
		t.Fatal("a state was stashed although the instance never gave one")
	}
	if next := n1.local[id]; next == nil || next == l {
		t.Fatal("the child was not restarted after the renewal")
	}
}

// TestLastClaimPerChild: of several claim changes of one child in one
// message only the last is sent (a receiver applies one change per child
// and version), the others keep their order.
func TestLastClaimPerChild(t *testing.T) {
	got := lastClaimPerChild([]Claim{
		{ID: "a", Epoch: 1, Instance: 1, Removed: true},
		{ID: "b", Epoch: 1, Instance: 2},
		{ID: "a", Epoch: 2, Instance: 3},
		{ID: "c", Epoch: 1, Instance: 4},
		{ID: "c", Epoch: 1, Instance: 4, Removed: true},
	})
	want := []Claim{
		{ID: "b", Epoch: 1, Instance: 2},
		{ID: "a", Epoch: 2, Instance: 3},
		{ID: "c", Epoch: 1, Instance: 4, Removed: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}
