package core

import "testing"

// TestStopSendsOneMessagePerPeerAndOwner counts what an awaited stop of
// 3,000 children from n1 sends on 3 nodes: the two remote owners' parts,
// and from each of the 3 owners one message per peer that carries its
// tombstones and its claim retractions together (a MsgClaims carrying the
// round, claimround.go), its acknowledgement and the 2 results: 16
// messages, every tombstone sent once to each peer. Before
// the retraction rode with the round, each owner sent every peer a
// second message (22 messages), which each peer applied and reconciled
// child by child a second time.
func TestStopSendsOneMessagePerPeerAndOwner(t *testing.T) {
	const n = 3000
	c := newBenchCluster(t, 3)
	specs := benchSpecs("c", n)
	ids := make([]ChildID, n)
	for i, s := range specs {
		ids[i] = s.ID
	}
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
	c.pump()
	k := joinCounts{byKind: map[MsgKind]int{}, depth: map[NodeID]int{}, started: map[NodeID][]ChildID{}}
	c.nodes["n1"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}})
	c.pumpCounting(&k)
	if len(c.replies) != 2 || c.replies[1].Err != nil || len(c.replies[1].Results) != n {
		t.Fatalf("replies %+v", c.replies)
	}
	for _, r := range c.replies[1].Results {
		if r.Err != "" {
			t.Fatalf("stop result %+v", r)
		}
	}
	want := map[MsgKind]int{MsgRequest: 2, MsgClaims: 6, MsgReplicateAck: 6, MsgResult: 2}
	for kind, w := range want {
		if k.byKind[kind] != w {
			t.Errorf("%d %s messages, want %d", k.byKind[kind], kind, w)
		}
	}
	if k.messages != 16 || k.entries != 2*n || k.stops != n {
		t.Errorf("%d messages (by kind %v), %d entries sent, %d instances stopped; want 16, %d, %d", k.messages, k.byKind, k.entries, k.stops, 2*n, n)
	}
	for _, name := range c.names {
		if got := c.nodes[name].reg.live; got != 0 {
			t.Errorf("%s holds %d live entries after the stop", name, got)
		}
		if got := c.nodes[name].reg.claimCount("n1") + c.nodes[name].reg.claimCount("n2") + c.nodes[name].reg.claimCount("n3"); got != 0 {
			t.Errorf("%s holds %d claims after the stop", name, got)
		}
	}
}
