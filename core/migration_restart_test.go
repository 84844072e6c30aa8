package core

import (
	"testing"
)

// TestHotSwapHandoverRedeliveredToARestartOfAnInstanceThatNeverRan: a
// hot-swap handover given to an instance still starting is acknowledged
// only once that instance runs. If it exits before it runs, its restart
// starts without the state, while the sender's instance still runs with
// it: the sender's next retransmission is delivered to the restart (not
// taken for a duplicate of a delivered handover), and acknowledged once
// the restart runs. Before, the retransmission was only acknowledged
// once the restart ran: the sender stopped, and the state it handed over
// reached no instance that ran.
func TestHotSwapHandoverRedeliveredToARestartOfAnInstanceThatNeverRan(t *testing.T) {
	c, id, n2, l := hotSwapOneChild(t, 2)
	l.status = childStarting // as between its start and its readiness
	n2.Ready()
	// n1's instance 8 hands its state over (again, when retransmitted).
	handover := func(to uint64) (acked, delivered bool) {
		t.Helper()
		n2.Step(c.now, Message{Kind: MsgHandover, Hub: n2.cfg.HubID, From: "n1", Inc: 1, Seq: 8, IDs: []ChildID{id}, State: []byte("s"), Epoch: l.epoch})
		rd := n2.Ready()
		for _, env := range rd.Messages {
			acked = acked || (env.Msg.Kind == MsgHandoverAck && env.To == "n1" && env.Msg.Seq == 8)
		}
		for _, e := range rd.Effects {
			delivered = delivered || (e.Kind == EffectDeliverHandover && e.ID == id && e.Instance == to && string(e.State) == "s")
		}
		return acked, delivered
	}
	if acked, delivered := handover(l.instance); acked || !delivered {
		t.Fatalf("handover to a starting instance: acked %v, delivered %v; want delivered, not acked", acked, delivered)
	}
	crashed := l.instance
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildExited, ID: id, Instance: crashed, Abnormal: true, Reason: "crash"})
	next := n2.local[id]
	if next == nil || next.instance == crashed || next.status != childStarting {
		t.Fatalf("no restart starting after the crash: %+v", next)
	}
	n2.Ready()
	if acked, delivered := handover(next.instance); acked || !delivered {
		t.Fatalf("retransmission to the restart of an instance that never ran: acked %v, delivered %v; want delivered, not acked", acked, delivered)
	}
	if acked, delivered := handover(next.instance); acked || delivered {
		t.Fatalf("a second retransmission while the restart starts: acked %v, delivered %v; want neither", acked, delivered)
	}
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: next.instance})
	acked := false
	for _, env := range n2.Ready().Messages {
		acked = acked || (env.Msg.Kind == MsgHandoverAck && env.To == "n1" && env.Msg.Seq == 8)
	}
	if !acked {
		t.Fatal("the handover was not acknowledged once the restart given its state ran")
	}
}
