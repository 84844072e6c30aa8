package core

import (
	"testing"
	"time"
)

// TestReforwardAfterTargetRestartIsNodeDown: n1 forwards n3's start of a
// child n2 owns; n2 applies it and crashes before its answer gets out, and
// comes back as a new incarnation. n3's retransmission reaches n1, which
// sends it on to n2 again: addressed to the incarnation that got it first,
// so the new one answers "node down" (the outcome is unknown: the old one
// applied it), never already_started for a start only this client issued
// (mix strict seed 14156 of the long sweep: linearizability illegal, a
// lookup had seen the child absent in between).
func TestReforwardAfterTargetRestartIsNodeDown(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	n1 := c.nodes["n1"]
	id := c.ownedBy("n2", "r")
	req := Message{Kind: MsgRequest, Hub: n1.cfg.HubID, From: "n3", Inc: 1, Seq: 77, Op: OpStart,
		Origin: "n3", OriginInc: 1, ToInc: 1, Items: []StartItem{{Spec: ChildSpec{ID: id}}}}
	// n2's answer is lost in its crash.
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgResult && env.Msg.Seq == 77 }
	n1.Step(c.now, req)
	c.pump()
	if n1.Lookup(id) == nil {
		t.Fatalf("n2 did not apply the start n1 forwarded: the test checks nothing")
	}
	n2 := c.restart("n2", 2)
	c.until(func() bool {
		m, ok := n1.members.members["n2"]
		return ok && m.Incarnation == 2 && n1.members.alive("n2") && n2.ready()
	}, time.Minute, "n1 sees n2's new incarnation, n2 synced")
	mark := len(c.sent)
	n1.Step(c.now, req) // n3's retransmission
	c.pump()
	answered := false
	for _, env := range c.sent[mark:] {
		if env.Msg.Kind != MsgResult || env.Msg.Seq != 77 || env.To != "n3" {
			continue
		}
		answered = true
		if len(env.Msg.Results) != 1 || env.Msg.Results[0].Err != Code(ErrNodeDown) {
			t.Fatalf("%s answered the retransmission %+v, want %q (its earlier incarnation applied it)", env.Msg.From, env.Msg.Results, Code(ErrNodeDown))
		}
	}
	if !answered {
		t.Fatal("nobody answered the retransmission")
	}
}
