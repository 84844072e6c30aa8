package core

import (
	"testing"
	"time"
)

// TestHotSwapAckWaitsUntilTheNewInstanceRuns: the sender of a hot-swap
// handover stops its instance on the acknowledgement, so a receiver whose
// instance is still starting (started, not yet reported running: an exec
// child behind its readiness probe) gives it the state at once but
// acknowledges only once it runs — retransmissions meanwhile are not
// acknowledged either. A handover held for an instance that exits before
// it runs is never acknowledged for the next one. On real processes:
// e2e's TestHotSwapHandoverBetweenProcesses, where old exec processes
// stopped 5-50 ms before their replacements were ready without this.
func TestHotSwapAckWaitsUntilTheNewInstanceRuns(t *testing.T) {
	c, id, n2, l := hotSwapOneChild(t, 2)
	l.status = childStarting // as between its start and its readiness
	n2.Ready()
	handover := func(seq uint64) (acked, delivered bool) {
		t.Helper()
		n2.Step(c.now, Message{Kind: MsgHandover, Hub: n2.cfg.HubID, From: "n1", Inc: 1, Seq: seq, IDs: []ChildID{id}, State: []byte("s"), Epoch: l.epoch})
		rd := n2.Ready()
		for _, env := range rd.Messages {
			acked = acked || (env.Msg.Kind == MsgHandoverAck && env.To == "n1")
		}
		for _, e := range rd.Effects {
			delivered = delivered || (e.Kind == EffectDeliverHandover && e.ID == id && e.Instance == l.instance)
		}
		return acked, delivered
	}
	if acked, delivered := handover(7); acked || !delivered {
		t.Fatalf("handover to a starting instance: acked %v, delivered %v; want delivered, not acked", acked, delivered)
	}
	if acked, delivered := handover(7); acked || delivered {
		t.Fatalf("its retransmission while starting: acked %v, delivered %v; want neither", acked, delivered)
	}
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: l.instance})
	acked := false
	for _, env := range n2.Ready().Messages {
		acked = acked || (env.Msg.Kind == MsgHandoverAck && env.To == "n1" && env.Msg.Seq == 7)
	}
	if !acked {
		t.Fatal("the handover was not acknowledged once the instance ran")
	}
	if acked, delivered := handover(7); !acked || delivered {
		t.Fatalf("a retransmission once running: acked %v, delivered %v; want acked only", acked, delivered)
	}

	// Held for an instance that exits before it runs: its restart runs
	// without the state, so the sender gets no acknowledgement.
	l.status = childStarting
	if acked, delivered := handover(8); acked || !delivered {
		t.Fatalf("second handover to a starting instance: acked %v, delivered %v", acked, delivered)
	}
	crashed := l.instance
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildExited, ID: id, Instance: crashed, Abnormal: true, Reason: "crash"})
	next := n2.local[id]
	if next == nil || next.instance == crashed {
		t.Fatalf("no restart after the crash: %+v", next)
	}
	n2.Ready()
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: next.instance})
	for _, env := range n2.Ready().Messages {
		if env.Msg.Kind == MsgHandoverAck {
			t.Fatalf("acknowledged %+v for an instance that never got its state", env.Msg)
		}
	}
}

// hotSwapOneChild forms a lockstep cluster of nodes nodes with hot swap
// and handover (Retention 1 s) and starts, from n1, one child placed on
// n2: it returns the cluster, the child, n2 and the child's instance there.
func hotSwapOneChild(t *testing.T, nodes int) (*lockstep, ChildID, *Node, *localChild) {
	t.Helper()
	return hotSwapChildOn(t, nodes, "n2", "h", time.Second)
}

// hotSwapChildOn starts, on a cluster of nodes under hot swap with
// handover and the given retention, one child owned by owner (an id of
// prefix), and returns the cluster, the id, the owner and its instance.
func hotSwapChildOn(t *testing.T, nodes int, owner NodeID, prefix string, retention time.Duration) (*lockstep, ChildID, *Node, *localChild) {
	t.Helper()
	c := newLockstep(t, nodes, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: retention, Handover: true}
	})
	id := c.ownedBy(owner, prefix)
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	n := c.nodes[owner]
	l := n.local[id]
	if l == nil {
		t.Fatalf("%s does not run on %s", id, owner)
	}
	return c, id, n, l
}
