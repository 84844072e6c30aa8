package core

import "testing"

// TestGuidedRoundMeetingItsDescendant: a peer that holds a newer live
// version of a guided child with the same mapping (one descended from the
// start: a later start after a stop, a takeover) refuses a late round of
// the older start as stale (errStaleVersion, the newer version sent back),
// not as a start that lost to another mapping (errGuidedConflict, which
// the owner answers ErrAlreadyStarted). A newer version with another
// mapping is such a conflict.
func TestGuidedRoundMeetingItsDescendant(t *testing.T) {
	for _, c := range []struct {
		name    string
		havePin []NodeID
		wantErr ErrCode
	}{
		{"same mapping", []NodeID{"n2", "n1"}, errStaleVersion},
		{"another mapping", []NodeID{"n1", "n2"}, errGuidedConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			lc := newLockstep(t, 2, fastTiming)
			n1 := lc.nodes["n1"]
			n1.reg.put(&Entry{Spec: ChildSpec{ID: "w"}, Epoch: 3, Holder: c.havePin[0], By: c.havePin[0], Pinned: c.havePin})
			write := Entry{Spec: ChildSpec{ID: "w"}, Epoch: 1, Holder: "n2", By: "n2", Pinned: []NodeID{"n2", "n1"}}
			n1.Step(lc.now, Message{Kind: MsgReplicate, Hub: n1.cfg.HubID, From: "n2", Inc: 1, Seq: 7, Entries: []Entry{write}, IDs: []ChildID{"w"}})
			var ack *Message
			back := false
			for _, env := range n1.Ready().Messages {
				if env.Msg.Kind == MsgReplicateAck && env.Msg.Seq == 7 {
					ack = &env.Msg
				}
				for _, e := range env.Msg.Entries {
					back = back || (env.Msg.Kind == MsgReplicate && ack == nil && e.Spec.ID == "w" && e.Epoch == 3)
				}
			}
			if ack == nil {
				t.Fatal("no acknowledgement of the round")
			}
			if ack.Err != c.wantErr || !back {
				t.Fatalf("ack %+v, newer version sent back before it %v; want %q, true", ack, back, c.wantErr)
			}
		})
	}
}
