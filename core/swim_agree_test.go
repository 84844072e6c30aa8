package core

import (
	"fmt"
	"testing"
	"time"
)

// A node joining a formed SWIM cluster contacts only the seeds it joins
// through: the other members take it up from news and tables, and it and
// they become ready on each other's sync stamps, without a full sync per
// member (each of 16 members used to exchange one with the joiner both
// ways).
func TestSwimJoinSpreadsAsNews(t *testing.T) {
	const size = 16
	e := swimEnv(t, size)
	joiner := NodeID(fmt.Sprintf("n%02d", size+1))
	if err := e.addNode(joiner, 1); err != nil {
		t.Fatal(err)
	}
	syncs := 0 // full syncs, welcomes and sync asks to or from the joiner
	tickWatching(t, e, func(time.Duration) bool { return e.formed() }, 10*time.Second, fmt.Sprintf("%d swim nodes and a joiner did not form", size), func(env Envelope) {
		m := env.Msg
		if (env.To == joiner || m.From == joiner) && ((m.Kind == MsgReplicate && m.Full) || m.Kind == MsgWelcome || m.Kind == MsgSyncRequest) {
			syncs++
		}
	})
	if max := 2 * swimJoinSeeds; syncs > max {
		t.Errorf("the join cost %d full syncs, welcomes and asks, want at most %d (one each way per seed joined)", syncs, max)
	}
	t.Logf("a join to %d swim nodes: %d full syncs, welcomes and asks", size, syncs)
}

// agreeNode returns a SWIM node n01 that knows peers n02 and n03 alive,
// each having stated the stamp of n01's own table and registry.
func agreeNode(t *testing.T) *Node {
	t.Helper()
	cfg := DefaultConfig("n01")
	cfg.Incarnation, cfg.Membership.Detector, cfg.Seeds = 1, Swim, []NodeID{"n02"}
	n, err := NewNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []NodeID{"n02", "n03"} {
		if tr, ok := n.members.heard(p, 1, nil, 1); ok {
			n.onMemberTransition(tr)
		}
	}
	for _, p := range []NodeID{"n02", "n03"} {
		n.members.noteStamp(Member{Name: p, Incarnation: 1, Status: StatusAlive, SyncStamp: 1<<stampHashBits | n.agreeHash()})
	}
	n.Ready()
	return n
}

// A peer agrees only when its stamp is the stamp of this node's own
// member table and registry and this node holds no claim of it: a
// registry that differs, a table that differs, a peer that claims
// children (its stamp has no hash) or claims held here all need its full
// sync.
func TestSwimAgreementNeedsEqualStateAndNoClaims(t *testing.T) {
	n := agreeNode(t)
	if !n.agrees("n02") || !n.agrees("n03") {
		t.Fatal("peers that stated this node's stamp do not agree")
	}
	n.members.noteStamp(Member{Name: "n03", Incarnation: 1, Status: StatusAlive, SyncStamp: 2 << stampHashBits}) // claims children
	if n.agrees("n03") {
		t.Error("a peer that claims children agrees")
	}
	n.reg.setClaim("n02", Claim{ID: "c1", Epoch: 1, Instance: 1, Active: true})
	if n.agrees("n02") {
		t.Error("a peer whose claims this node holds agrees")
	}
	n = agreeNode(t)
	n.reg.put(&Entry{Spec: ChildSpec{ID: "c1"}, Epoch: 1, Holder: "n02", By: "n02"})
	if n.agrees("n02") {
		t.Error("a peer agrees with a registry that changed since its stamp")
	}
	n = agreeNode(t)
	if t2, ok := n.members.merge(Member{Name: "n04", Incarnation: 1, Status: StatusAlive}, 2); ok {
		n.onMemberTransition(t2)
	}
	if n.agrees("n02") {
		t.Error("a peer agrees with a member table that changed since its stamp")
	}
}

// A node booting in a SWIM cluster is synced once every peer either sent
// a full sync or agrees, and not before.
func TestSwimReadyOnAgreement(t *testing.T) {
	n := agreeNode(t)
	n.members.noteStamp(Member{Name: "n03", Incarnation: 1, Status: StatusAlive, SyncStamp: 2<<stampHashBits | (n.agreeHash() ^ 1)})
	n.checkSynced()
	if n.synced {
		t.Fatal("synced although n03's stamp differs and n03 sent no full sync")
	}
	n.members.noteStamp(Member{Name: "n03", Incarnation: 1, Status: StatusAlive, SyncStamp: 3<<stampHashBits | n.agreeHash()})
	n.checkSynced()
	if !n.synced {
		t.Fatal("not synced although every peer agrees")
	}
}

// Stamps are ordered by their number, across its wrap: an older record
// never replaces a newer stamp.
func TestStampNewerWraps(t *testing.T) {
	at := func(ver uint64) uint64 { return ver<<stampHashBits | 7 }
	cases := []struct {
		a, b uint64
		want bool
	}{
		{at(2), at(1), true}, {at(1), at(2), false}, {at(1), at(1), false}, {at(1), 0, true}, {0, at(1), false},
		{at(0), at(stampVerMask), true}, {at(stampVerMask), at(0), false}, {at(5), at(5 + 1<<(stampVerBits-1) + 1), true},
	}
	for _, c := range cases {
		if got := stampNewer(c.a, c.b); got != c.want {
			t.Errorf("stampNewer(%#x, %#x) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// A node recovering from its disk waits for the full sync of every peer
// of its persisted view, agreeing or not, so it asks an agreeing peer for
// it after RetryInterval (sim: class durable, seeds 2 and 3, with the
// SWIM detector, stalled until a stamp changed).
func TestSwimRecoveringNodeAsksAgreeingPeers(t *testing.T) {
	n := agreeNode(t)
	n.persist.waitFor = []NodeID{"n02"}
	if !n.agrees("n02") || n.agreementSuffices() {
		t.Fatalf("agrees %v, agreement suffices %v: want an agreeing peer and a node that needs full syncs", n.agrees("n02"), n.agreementSuffices())
	}
	start := n.now
	n.askForMissingSyncs(start)
	n.askForMissingSyncs(start.Add(n.cfg.Timing.RetryInterval))
	asked := map[NodeID]bool{}
	for _, env := range n.Ready().Messages {
		if env.Msg.Kind == MsgSyncRequest {
			asked[env.To] = true
		}
	}
	if !asked["n02"] || !asked["n03"] {
		t.Fatalf("a recovering node asked %v for full syncs after RetryInterval, want n02 and n03 (agreeing)", asked)
	}
}

// A stamp has a hash only while its node has sent no claim delta in its
// incarnation, so a node synced by agreement holds the peer's claim list
// (none, at delta 0) and starts its claim stream there: the peer's first
// delta applies in order and its claims digest asks for nothing.
func TestSwimAgreementStartsTheClaimStream(t *testing.T) {
	n := agreeNode(t)
	n.checkSynced()
	if !n.synced {
		t.Fatal("not synced although every peer agrees")
	}
	for _, p := range []NodeID{"n02", "n03"} {
		if s := n.claimStreams[p]; s == nil || s.next != 1 || s.holeOpen() {
			t.Fatalf("%s's claim stream after agreement: %+v, want one at delta 0 with no hole", p, s)
		}
	}
	n.swimAnnounce()
	if n.members.own().SyncStamp&stampHashMask == 0 {
		t.Fatal("a node that never claimed states no hash")
	}
	n.claimDeltas = 1
	n.swimAnnounce()
	if h := n.members.own().SyncStamp & stampHashMask; h != 0 {
		t.Fatalf("a node that sent a claim delta states hash %#x, want none", h)
	}
}
