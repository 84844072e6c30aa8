package core

import (
	"fmt"
	"testing"
	"time"
)

// TestRerouteRefusalIsRemembered: a node that refused a routed start with
// errReroute (it did not own the child in its view) refuses every
// retransmission of that request too, even once its view has changed and
// it owns the child. The origin has already regrouped the refused group
// and sent it under a new sequence number; executing the old one as well
// would run a start the client never hears about and answer its own
// regrouped start already_started (the pattern of netfault's c16, for the
// reroute refusal of ccc340f).
func TestRerouteRefusalIsRemembered(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	n2 := c.nodes["n2"]
	request := func(seq uint64, id ChildID) Message {
		return Message{Kind: MsgRequest, Hub: n2.cfg.HubID, From: "n1", Inc: 1, Seq: seq, Op: OpStart,
			Origin: "n1", OriginInc: 1, ToInc: 1, Hops: maxHops, Items: []StartItem{{Spec: ChildSpec{ID: id}}}}
	}
	answer := func(seq uint64, id ChildID) (errc ErrCode, started bool) {
		rd := n2.Ready()
		for _, env := range rd.Messages {
			if env.Msg.Kind == MsgResult && env.Msg.Seq == seq {
				errc = env.Msg.Err
				if errc == "" && len(env.Msg.Results) > 0 {
					errc = env.Msg.Results[0].Err
				}
			}
		}
		for _, e := range rd.Effects {
			started = started || e.Kind == EffectStart && e.ID == id
		}
		return errc, started
	}

	// Children n3 owns in n2's view: n2 refuses their routed starts.
	var ids []ChildID
	for i := 0; len(ids) < 40 && i < 2000; i++ {
		id := ChildID(fmt.Sprintf("rr-%d", i))
		if n2.ownerOf(id) == "n3" {
			ids = append(ids, id)
		}
	}
	for i, id := range ids {
		n2.Step(c.now, request(uint64(900+i), id))
		if errc, started := answer(uint64(900+i), id); errc != errReroute || started {
			t.Fatalf("%s, not n2's: answered %q started=%v, want %q and nothing started", id, errc, started, errReroute)
		}
	}

	// n3 cordons itself: its children become n2's or n1's.
	if rep := c.request("n3", Request{ID: 7, Op: OpCordon, Target: "n3"}); rep.Err != nil {
		t.Fatalf("cordon: %+v", rep)
	}
	c.until(func() bool { return n2.ownerOf(ids[0]) != "n3" }, time.Minute, "n2 sees n3 cordoned")
	retried := 0
	for i, id := range ids {
		if n2.ownerOf(id) != "n2" {
			continue
		}
		retried++
		n2.Step(c.now, request(uint64(900+i), id)) // the origin's retransmission
		errc, started := answer(uint64(900+i), id)
		if started {
			t.Fatalf("n2 started %s from a retransmission of a request it had refused with %q", id, errReroute)
		}
		if errc != errReroute {
			t.Fatalf("the retransmission for %s was answered %q, want the same refusal %q", id, errc, errReroute)
		}
	}
	if retried == 0 {
		t.Fatal("no child of n3 went to n2: the test checked nothing")
	}
}
