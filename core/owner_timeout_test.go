package core

import (
	"errors"
	"testing"
)

// TestOwnerGivesUpReplicationAtTheDeadline: when a peer never
// acknowledges a replication, the owner answers ErrTimeout at the request
// deadline, forgets the operation (no owner op is kept) and stops
// retransmitting: its state stays bounded.
func TestOwnerGivesUpReplicationAtTheDeadline(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgReplicateAck }
	id := c.ownedBy("n1", "c")
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	if len(rep.Results) != 1 || !errors.Is(rep.Results[0].Err.Err(), ErrTimeout) {
		t.Fatalf("reply %+v, want one ErrTimeout result", rep)
	}
	c.tick()
	if ops := c.nodes["n1"].Stats().OwnerOps; ops != 0 {
		t.Fatalf("owner keeps %d operations after the deadline", ops)
	}
	mark := len(c.sent)
	c.runFor(10 * c.nodes["n1"].cfg.Timing.RetryInterval)
	for _, env := range c.sent[mark:] {
		if env.Msg.From == "n1" && env.Msg.Kind == MsgReplicate && env.Msg.Seq != 0 {
			t.Fatalf("n1 still retransmits replication (seq %d) after giving up", env.Msg.Seq)
		}
	}
}
