package core

import (
	"testing"
)

// TestHotSwapTwoHandoversToAnInstanceThatExitsBeforeItRuns: two
// handovers (two sending instances: duplicates after a partition, or
// two instances one after the other on one node at one epoch) are given
// to one instance still starting, which exits before it runs. Both
// states went with it, while both senders still run: each sender's next
// retransmission is delivered to the restart, and each is acknowledged
// once the restart runs. Before, only the handover held last for the
// acknowledgement (ackOnRun held one) was forgotten as delivered
// (exitedBeforeRun): the earlier one's retransmission was taken for a
// duplicate, not delivered, and acknowledged once the restart ran — its
// sender stopped and its state reached no instance that ran (the
// mutation survivor core/migration.go:341:2:stmt-drop pointed at it).
func TestHotSwapTwoHandoversToAnInstanceThatExitsBeforeItRuns(t *testing.T) {
	c, id, n2, l := hotSwapOneChild(t, 2)
	l.status = childStarting // as between its start and its readiness
	n2.Ready()
	// handover steps in a handover (or its retransmission) from n1's
	// instance seq, whose state is seq's name, and reports what n2 did.
	handover := func(seq uint64, to uint64) (acked, delivered bool) {
		t.Helper()
		state := string(rune('a' + seq))
		n2.Step(c.now, Message{Kind: MsgHandover, Hub: n2.cfg.HubID, From: "n1", Inc: 1, Seq: seq, IDs: []ChildID{id}, State: []byte(state), Epoch: l.epoch})
		rd := n2.Ready()
		for _, env := range rd.Messages {
			acked = acked || (env.Msg.Kind == MsgHandoverAck && env.To == "n1" && env.Msg.Seq == seq)
		}
		for _, e := range rd.Effects {
			delivered = delivered || (e.Kind == EffectDeliverHandover && e.ID == id && e.Instance == to && string(e.State) == state)
		}
		return acked, delivered
	}
	for _, seq := range []uint64{8, 9} {
		if acked, delivered := handover(seq, l.instance); acked || !delivered {
			t.Fatalf("handover of instance %d to a starting instance: acked %v, delivered %v; want delivered, not acked", seq, acked, delivered)
		}
	}
	crashed := l.instance
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildExited, ID: id, Instance: crashed, Abnormal: true, Reason: "crash"})
	next := n2.local[id]
	if next == nil || next.instance == crashed || next.status != childStarting {
		t.Fatalf("no restart starting after the crash: %+v", next)
	}
	n2.Ready()
	for _, seq := range []uint64{8, 9} {
		if acked, delivered := handover(seq, next.instance); acked || !delivered {
			t.Fatalf("retransmission of instance %d's handover to the restart of an instance that never ran: acked %v, delivered %v; want delivered, not acked", seq, acked, delivered)
		}
	}
	for _, seq := range []uint64{8, 9} {
		if acked, delivered := handover(seq, next.instance); acked || delivered {
			t.Fatalf("a second retransmission of instance %d's while the restart starts: acked %v, delivered %v; want neither", seq, acked, delivered)
		}
	}
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: next.instance})
	acked := map[uint64]bool{}
	for _, env := range n2.Ready().Messages {
		if env.Msg.Kind != MsgHandoverAck || env.To != "n1" {
			continue
		}
		if len(env.Msg.Handovers) == 0 {
			acked[env.Msg.Seq] = true
		}
		for _, it := range env.Msg.Handovers { // a batch of acknowledgements
			acked[it.Instance] = true
		}
	}
	if !acked[8] || !acked[9] {
		t.Fatalf("acknowledged once the restart given both states ran: %v; want instances 8 and 9", acked)
	}
}
