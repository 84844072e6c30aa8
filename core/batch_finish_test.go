package core

import (
	"testing"
	"time"
)

// TestEndBatchRunsTheDeferredWork: inputs fed between BeginBatch and
// EndBatch have their end-of-input work — here the push of the node's new
// claims to its peers — done once, at EndBatch: the peers learn every
// child the batch started, as if the inputs had come one by one. A batch
// with no input before it changes nothing.
func TestEndBatchRunsTheDeferredWork(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	n := c.nodes["n1"]
	a, b := c.ownedBy("n1", "a"), c.ownedBy("n1", "b")
	c.runFor(time.Second)
	c.pump()
	n.BeginBatch()
	n.EndBatch() // nothing deferred
	n.BeginBatch()
	n.Request(c.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: a}}})
	n.Request(c.now, Request{ID: 2, Op: OpStart, Specs: []ChildSpec{{ID: b}}})
	rd := n.Ready()
	for _, e := range rd.Effects {
		if e.Kind == EffectStart {
			n.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
		}
	}
	claimed := func(msgs []Envelope) map[ChildID]bool {
		out := map[ChildID]bool{}
		for _, env := range msgs {
			if env.To == "n2" && env.Msg.Kind == MsgClaims {
				for _, cl := range env.Msg.Claims {
					out[cl.ID] = true
				}
			}
		}
		return out
	}
	if got := claimed(append(rd.Messages, n.Ready().Messages...)); len(got) != 0 {
		t.Fatalf("claims %v pushed inside the batch, want them deferred to EndBatch", got)
	}
	n.EndBatch()
	if got := claimed(n.Ready().Messages); !got[a] || !got[b] {
		t.Fatalf("claims %v pushed to n2 at EndBatch, want %s and %s", got, a, b)
	}
}
