package core

import "testing"

// TestRequestForNotOwnedChildIsForwarded: a node that receives a routed
// start for a child another node owns (the sender's view differed)
// forwards it to the owner, which starts the child and answers the origin.
func TestRequestForNotOwnedChildIsForwarded(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	id := c.ownedBy("n3", "f")
	n2 := c.nodes["n2"]
	mark := len(c.sent)
	n2.Step(c.now, Message{Kind: MsgRequest, Hub: n2.cfg.HubID, From: "n1", Inc: 1, Seq: 77, Op: OpStart,
		Origin: "n1", OriginInc: 1, ToInc: 1, Items: []StartItem{{Spec: ChildSpec{ID: id}}}})
	c.pump()
	forwarded := false
	for _, env := range c.sent[mark:] {
		if env.Msg.From == "n2" && env.To == "n3" && env.Msg.Kind == MsgRequest {
			forwarded = true
		}
	}
	if !forwarded {
		t.Fatal("n2 did not forward the request to the owner n3")
	}
	hooked := false
	for _, h := range c.hooks["n2"] {
		hooked = hooked || h.Kind == HookForwardedMigration && h.Node == "n3"
	}
	if !hooked {
		t.Fatalf("no forwarded_migration hook on n2: %+v", c.hooks["n2"])
	}
	c.runFor(c.nodes["n1"].cfg.Timing.HeartbeatInterval)
	e := c.nodes["n1"].Lookup(id)
	if e == nil || e.Holder != "n3" {
		t.Fatalf("entry %+v, want held by n3", e)
	}
}

// TestGuidedStartRunsOnItsPinnedNode: a guided start is executed by the
// pinned node even where the ring would name another owner; nobody
// forwards it.
func TestGuidedStartRunsOnItsPinnedNode(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Distribution.Kind = Guided
	})
	id := c.ownedBy("n2", "g")
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}},
		Start: StartOptions{Await: true, ChildMapping: map[ChildID][]NodeID{id: {"n3"}}}})
	if len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	for _, name := range c.names {
		for _, h := range c.hooks[name] {
			if h.Kind == HookForwardedMigration {
				t.Fatalf("%s forwarded a guided start: %+v", name, h)
			}
		}
	}
	c.runFor(c.nodes["n1"].cfg.Timing.HeartbeatInterval)
	e := c.nodes["n1"].Lookup(id)
	if e == nil || e.Holder != "n3" || e.By != "n3" {
		t.Fatalf("entry %+v, want held and written by n3", e)
	}
}

// TestForwardedRetransmissionIsNotRefusedAfterQuorumLoss: a node that
// forwarded a request and then lost quorum forwards its retransmission
// again instead of answering "partitioned": the owner may already have
// applied it, and "partitioned" is a definite refusal to the client.
func TestForwardedRetransmissionIsNotRefusedAfterQuorumLoss(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	id := c.ownedBy("n3", "f")
	n2 := c.nodes["n2"]
	req := Message{Kind: MsgRequest, Hub: n2.cfg.HubID, From: "n1", Inc: 1, Seq: 78, Op: OpStart,
		Origin: "n1", OriginInc: 1, ToInc: 1, Items: []StartItem{{Spec: ChildSpec{ID: id}}}}
	n2.Step(c.now, req)
	c.pump()                     // n3 starts the child and answers n1
	n2.quorum.partitioned = true // as if n2 had just lost sight of a majority
	n2.Step(c.now, req)          // n1 retransmits (it missed n3's answer)
	forwarded := false
	for _, env := range n2.Ready().Messages {
		forwarded = forwarded || env.To == "n3" && env.Msg.Kind == MsgRequest
		for _, r := range env.Msg.Results {
			if r.Err == Code(ErrPartitioned) {
				t.Fatalf("n2 refused a retransmission it had forwarded (n3 applied it) with %q", r.Err)
			}
		}
	}
	if !forwarded {
		t.Fatal("n2 did not forward the retransmission to n3 again")
	}
}

// TestForwardingLoopEnds: two nodes that each remember forwarding a
// request to the other (their views disagreed) do not bounce its
// retransmissions between them forever: a request makes at most maxHops
// hops (it was a retransmission storm: every network duplicate of the
// bouncing request multiplied it, messages seed 77 at 7c91c03).
func TestForwardingLoopEnds(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	id := c.ownedBy("n3", "loop")
	key := reqKey{"n3", 1, 99}
	c.nodes["n1"].repl.forwarded[key] = "n2"
	c.nodes["n2"].repl.forwarded[key] = "n1"
	in := []Envelope{{To: "n1", Msg: Message{Kind: MsgRequest, Hub: c.nodes["n1"].cfg.HubID, From: "n3", Inc: 1, Seq: 99, Op: OpStart,
		Origin: "n3", OriginInc: 1, ToInc: 1, Hops: 1, Items: []StartItem{{Spec: ChildSpec{ID: id}}}}}}
	hops := 0
	for round := 0; len(in) > 0; round++ {
		if round > 2*maxHops {
			t.Fatalf("the request still bounces after %d rounds", round)
		}
		var next []Envelope
		for _, env := range in {
			n := c.nodes[env.To]
			n.Step(c.now, env.Msg)
			for _, out := range n.Ready().Messages {
				if out.Msg.Kind == MsgRequest && out.Msg.Seq == 99 {
					hops++
					next = append(next, out)
				}
			}
		}
		in = next
	}
	if hops == 0 || hops > maxHops {
		t.Fatalf("the request was forwarded %d times, want 1..%d", hops, maxHops)
	}
}
