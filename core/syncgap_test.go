package core

import "testing"

// claimsFrom is a claim message of n1 (at the incarnation n knows) for n: a delta, or a
// full list (full) covering count deltas.
func claimsFrom(n *Node, full bool, count int, ver uint64, claims ...Claim) Message {
	return Message{Kind: MsgClaims, Hub: n.cfg.HubID, From: "n1", Inc: n.members.incarnation("n1"), Full: full, Count: count, Version: ver, Claims: claims}
}

// claimAsks drains n's outputs and returns the claim-list asks it sent
// to n1 (sync requests with a count), with the counts they named.
func claimAsks(n *Node) (asks []int, fullSyncAsks int) {
	for _, env := range n.Ready().Messages {
		if env.To == "n1" && env.Msg.Kind == MsgSyncRequest {
			if env.Msg.Count != 0 {
				asks = append(asks, env.Msg.Count)
			} else {
				fullSyncAsks++
			}
		}
	}
	return asks, fullSyncAsks
}

// gapCluster returns a formed two-node cluster whose n2 holds n1's full
// claim list covering 5 deltas, with n2's outputs drained.
func gapCluster(t *testing.T) (*benchCluster, *Node) {
	t.Helper()
	c := newBenchCluster(t, 2)
	n2 := c.nodes["n2"]
	n2.Step(c.now, claimsFrom(n2, true, 5, 100))
	n2.Ready()
	return c, n2
}

func TestLostClaimDeltaIsAskedForAfterARetryInterval(t *testing.T) {
	c, n2 := gapCluster(t)
	retry := n2.cfg.Timing.RetryInterval
	// Delta 6 is lost; 7 retracts nothing but shows the hole.
	n2.Step(c.now, claimsFrom(n2, false, 7, 102, Claim{ID: "x", Epoch: 1, Instance: 9, Active: true}))
	n2.Tick(c.now.Add(retry / 2))
	if asks, _ := claimAsks(n2); len(asks) != 0 {
		t.Fatalf("asked %v before a RetryInterval: a late delta may still fill the hole", asks)
	}
	n2.Tick(c.now.Add(retry))
	if asks, _ := claimAsks(n2); len(asks) != 1 || asks[0] != 6 {
		t.Fatalf("asks after a RetryInterval = %v, want one naming delta 6", asks)
	}
	// The answer is lost: asked again a RetryInterval later, not sooner.
	n2.Tick(c.now.Add(retry + retry/2))
	if asks, _ := claimAsks(n2); len(asks) != 0 {
		t.Fatalf("asked again within a RetryInterval: %v", asks)
	}
	n2.Tick(c.now.Add(2 * retry))
	if asks, _ := claimAsks(n2); len(asks) != 1 {
		t.Fatalf("asks after the answer was lost = %v, want one", asks)
	}
	// The full list closes the hole: no more asks.
	n2.Step(c.now.Add(2*retry), claimsFrom(n2, true, 7, 103, Claim{ID: "x", Epoch: 1, Instance: 9, Active: true}))
	n2.Tick(c.now.Add(4 * retry))
	if asks, _ := claimAsks(n2); len(asks) != 0 || n2.claimHoles != 0 {
		t.Fatalf("asks after the full list = %v, holes %d", asks, n2.claimHoles)
	}
}

func TestLateClaimDeltaFillsTheHole(t *testing.T) {
	c, n2 := gapCluster(t)
	n2.Step(c.now, claimsFrom(n2, false, 7, 102))
	n2.Step(c.now, claimsFrom(n2, false, 6, 101)) // reordered, not lost
	n2.Step(c.now, claimsFrom(n2, false, 6, 101)) // and duplicated
	n2.Tick(c.now.Add(2 * n2.cfg.Timing.RetryInterval))
	if asks, _ := claimAsks(n2); len(asks) != 0 || n2.claimHoles != 0 {
		t.Fatalf("asks %v, holes %d: a late delta closed the hole", asks, n2.claimHoles)
	}
	if s := n2.claimStreams["n1"]; s.next != 8 {
		t.Fatalf("next delta expected %d, want 8", s.next)
	}
}

func TestClaimDeltasPastAHoleAreBounded(t *testing.T) {
	c, n2 := gapCluster(t)
	for k := 7; k < 7+3*maxClaimsAhead; k++ {
		n2.Step(c.now, claimsFrom(n2, false, k, uint64(100+k)))
	}
	if got := len(n2.claimStreams["n1"].ahead); got != maxClaimsAhead {
		t.Fatalf("%d deltas remembered past the hole, want the bound %d", got, maxClaimsAhead)
	}
	// Delta 6 arrives: the remembered run closes, the first delta it
	// forgot is missing, so the hole stays open until a full list.
	n2.Step(c.now, claimsFrom(n2, false, 6, 106))
	if s := n2.claimStreams["n1"]; s.next != 7+maxClaimsAhead || n2.claimHoles != 1 {
		t.Fatalf("next %d holes %d, want %d and 1", s.next, n2.claimHoles, 7+maxClaimsAhead)
	}
	n2.Tick(c.now.Add(n2.cfg.Timing.RetryInterval))
	if asks, _ := claimAsks(n2); len(asks) != 1 || asks[0] != 7+maxClaimsAhead {
		t.Fatalf("asks %v, want one naming delta %d", asks, 7+maxClaimsAhead)
	}
}

func TestClaimDeltasCountOnlyAfterAFullList(t *testing.T) {
	c := newBenchCluster(t, 2)
	n2 := c.nodes["n2"]
	delete(n2.claimStreams, "n1") // as if n2 had no full list of n1 yet
	n2.Step(c.now, claimsFrom(n2, false, 9, 100))
	n2.Tick(c.now.Add(2 * n2.cfg.Timing.RetryInterval))
	if asks, _ := claimAsks(n2); len(asks) != 0 || n2.claimStreams["n1"] != nil {
		t.Fatalf("asks %v: a delta before any full list is not a hole (the boot sync covers it)", asks)
	}
	// An unnumbered delta (a peer that does not count) is not tracked.
	n2.Step(c.now, claimsFrom(n2, true, 0, 101))
	n2.Step(c.now, claimsFrom(n2, false, 0, 102))
	n2.Step(c.now, claimsFrom(n2, false, 0, 103))
	if s := n2.claimStreams["n1"]; s == nil || s.next != 1 || len(s.ahead) != 0 {
		t.Fatalf("stream %+v after unnumbered deltas, want next 1 and no hole", s)
	}
}

func TestRestartedSenderCountsFromOneAgain(t *testing.T) {
	c, n2 := gapCluster(t)
	n2.Step(c.now, claimsFrom(n2, false, 8, 102)) // a hole at 6
	if n2.claimHoles != 1 {
		t.Fatalf("holes %d, want 1", n2.claimHoles)
	}
	// n1 restarts: its incarnation 2 numbers deltas from 1.
	m := Message{Kind: MsgHeartbeat, Hub: n2.cfg.HubID, From: "n1", Inc: 2, Members: []Member{{Name: "n1", Incarnation: 2, Status: StatusAlive}}}
	n2.Step(c.now, m)
	if n2.claimHoles != 0 || n2.claimStreams["n1"] != nil {
		t.Fatalf("holes %d stream %+v after the restart, want none", n2.claimHoles, n2.claimStreams["n1"])
	}
}

func TestClaimAskIsAnsweredWithTheClaimListOnly(t *testing.T) {
	c := newBenchCluster(t, 2)
	n1 := c.nodes["n1"]
	n1.Request(c.now, Request{ID: 1, Op: OpStart, Specs: benchSpecs("c", 20)})
	c.pump()
	n1.Step(c.now, Message{Kind: MsgSyncRequest, Hub: n1.cfg.HubID, From: "n2", Inc: n1.members.incarnation("n2"), Count: 3})
	var got []Message
	for _, env := range n1.Ready().Messages {
		if env.To == "n2" {
			got = append(got, env.Msg)
		}
	}
	if len(got) != 1 || got[0].Kind != MsgClaims || !got[0].Full || len(got[0].Entries) != 0 || got[0].Count != n1.claimDeltas {
		t.Fatalf("answer %+v, want one full claim list counting %d deltas", got, n1.claimDeltas)
	}
	if want := len(n1.ownClaims()); len(got[0].Claims) != want || want == 0 {
		t.Fatalf("answer lists %d claims, want n1's %d", len(got[0].Claims), want)
	}
}

// TestLostRetractionRepairedBeforeAntiEntropy: with anti-entropy far away,
// a lost retraction is repaired within two RetryIntervals of the next
// delta that reaches the receiver.
func TestLostRetractionRepairedBeforeAntiEntropy(t *testing.T) {
	c := newBenchCluster(t, 2)
	n1, n2 := c.nodes["n1"], c.nodes["n2"]
	n1.Request(c.now, Request{ID: 1, Op: OpStart, Specs: benchSpecs("c", 20)})
	c.pump()
	var mine ChildID
	for id := range n1.local {
		if mine == "" || id < mine {
			mine = id
		}
	}
	lastSync := n1.lastSync
	n1.Request(c.now, Request{ID: 2, Op: OpTerminate, IDs: []ChildID{mine}})
	for _, env := range n1.Ready().Messages {
		if env.Msg.Kind == MsgClaims {
			continue // the retraction is lost
		}
		c.nodes[env.To].Step(c.now, env.Msg)
	}
	c.pump()
	if _, ok := n2.reg.claim("n1", mine); !ok {
		t.Fatalf("n2 lost n1's claim of %s without the retraction: the test is vacuous", mine)
	}
	n1.Request(c.now, Request{ID: 3, Op: OpStart, Specs: benchSpecs("late", 1)})
	c.pump()
	for i := 0; i < 10; i++ {
		c.tick(n2.cfg.Timing.RetryInterval / 4)
	}
	if n1.lastSync != lastSync {
		t.Fatalf("n1 ran anti-entropy: the test proves nothing")
	}
	if _, ok := n2.reg.claim("n1", mine); ok {
		t.Fatalf("n2 still lists n1's retracted claim of %s", mine)
	}
}

// TestLostLastDeltaShownByAHeartbeat: the last delta before a quiet spell
// is lost, so no later delta shows the hole; the sender's next heartbeat
// shows its count and the receiver asks a RetryInterval later.
func TestLostLastDeltaShownByAHeartbeat(t *testing.T) {
	c, n2 := gapCluster(t)
	hb := Message{Kind: MsgHeartbeat, Hub: n2.cfg.HubID, From: "n1", Inc: n2.members.incarnation("n1"), Count: 5}
	n2.Step(c.now, hb) // shows the 5 deltas n2 has: no hole
	if n2.claimHoles != 0 {
		t.Fatalf("holes %d after a heartbeat showing what n2 has", n2.claimHoles)
	}
	hb.Count = 6 // delta 6 was sent and lost
	n2.Step(c.now, hb)
	n2.Tick(c.now.Add(n2.cfg.Timing.RetryInterval))
	if asks, _ := claimAsks(n2); len(asks) != 1 || asks[0] != 6 {
		t.Fatalf("asks %v, want one naming delta 6", asks)
	}
}
