package core

import (
	"strings"
	"testing"
	"time"
)

// digestInterval is the anti-entropy interval of the claims digest tests.
const digestInterval = 500 * time.Millisecond

// digestCluster is a formed 3-node lockstep cluster with fast timing and
// a short anti-entropy interval, running 60 children started from n1,
// settled for two intervals.
func digestCluster(t *testing.T, tune func(*Config)) *lockstep {
	t.Helper()
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Sync.Interval = digestInterval
		if tune != nil {
			tune(cfg)
		}
	})
	if r := c.request("n1", Request{ID: 1, Op: OpStart, Specs: benchSpecs("d", 60), Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.runFor(2 * digestInterval)
	return c
}

// sameClaimsEverywhere fails unless every node holds every node's claims
// exactly as that node holds its own (by their claims digests).
func sameClaimsEverywhere(t *testing.T, c *lockstep) {
	t.Helper()
	for _, owner := range c.names {
		own := c.nodes[owner].reg.sums.get(owner)
		for _, name := range c.names {
			if got := c.nodes[name].reg.sums.get(owner); got != own {
				t.Errorf("%s holds %s's claims as %+v; %s holds %+v", name, owner, got, owner, own)
			}
		}
	}
}

// claimAsksTo counts the claim-list asks (sync requests with a count)
// sent from from to to in msgs.
func claimAsksTo(msgs []Envelope, from, to NodeID) int {
	k := 0
	for _, env := range msgs {
		if env.Msg.From == from && env.To == to && env.Msg.Kind == MsgSyncRequest && env.Msg.Count != 0 {
			k++
		}
	}
	return k
}

// TestClaimsDigestRoundSendsNoFullLists: once the claims agree, the
// periodic rounds send claims digests (a count and a hash) and no claim
// at all, where each round used to send every peer the full list.
func TestClaimsDigestRoundSendsNoFullLists(t *testing.T) {
	c := digestCluster(t, nil)
	sameClaimsEverywhere(t, c)
	before := map[NodeID]Stats{}
	for _, name := range c.names {
		before[name] = c.nodes[name].Stats()
	}
	from := len(c.sent)
	c.runFor(6 * digestInterval)
	digests := 0
	for _, env := range c.sent[from:] {
		if env.Msg.Kind == MsgDigest && env.Msg.ClaimsLen > 0 {
			digests++
		}
	}
	if digests < 6 {
		t.Errorf("%d claims digests sent in 6 rounds of 3 nodes, want at least 6", digests)
	}
	for _, name := range c.names {
		s, b := c.nodes[name].Stats(), before[name]
		if s.ClaimsSent != b.ClaimsSent || s.FullClaimLists != b.FullClaimLists || s.ClaimDigestMismatches != 0 {
			t.Errorf("%s in 6 quiet rounds: %d claims sent in %d full lists, %d digest mismatches; want none",
				name, s.ClaimsSent-b.ClaimsSent, s.FullClaimLists-b.FullClaimLists, s.ClaimDigestMismatches)
		}
	}
}

// TestClaimsDigestRepairsACopyThatDiffersWithoutAHole: n2's copy of n1's
// claims loses one claim with no delta missing (so syncgap.go sees no
// hole). n1's next claims digest differs from the copy at the same point
// of n1's deltas: n2 asks for n1's full list, and holds the claim again
// within an interval and a RetryInterval.
func TestClaimsDigestRepairsACopyThatDiffersWithoutAHole(t *testing.T) {
	c := digestCluster(t, nil)
	n2 := c.nodes["n2"]
	var lost ChildID
	if ids := n2.reg.claimIDs("n1"); len(ids) > 0 {
		lost = ids[0]
	}
	if lost == "" {
		t.Fatal("n1 claims nothing")
	}
	n2.reg.dropClaim("n1", lost)
	from, at := len(c.sent), c.now
	c.until(func() bool { _, ok := n2.reg.claim("n1", lost); return ok }, 4*digestInterval, "n1's claim of "+string(lost)+" back on n2")
	if bound := digestInterval + 2*n2.cfg.Timing.RetryInterval; c.now.Sub(at) > bound {
		t.Errorf("repaired after %v, want within an interval and a RetryInterval (%v)", c.now.Sub(at), bound)
	}
	if asks := claimAsksTo(c.sent[from:], "n2", "n1"); asks != 1 || n2.Stats().ClaimDigestMismatches != 1 {
		t.Errorf("n2 asked n1 %d times after %d digest mismatches, want one ask after one mismatch", asks, n2.Stats().ClaimDigestMismatches)
	}
	sameClaimsEverywhere(t, c)
}

// TestClaimsDigestShowsALostLastDelta: with the SWIM detector no
// heartbeat shows the claim deltas sent, so a lost last delta before a
// quiet spell used to wait for the next full list. n1's delta claiming a
// new child is lost on its way to n2; n1's next claims digest shows the
// delta, the hole is asked for, and n2 holds the claim within an
// interval and two RetryIntervals.
func TestClaimsDigestShowsALostLastDelta(t *testing.T) {
	c := digestCluster(t, func(cfg *Config) { cfg.Membership.Detector = Swim })
	n2 := c.nodes["n2"]
	loseClaimDeltaAndRepair(t, c, n2, "late")
}

// TestClaimsDigestShowsALostFirstDeltaAfterAgreement: a SWIM node
// synced by its peers' agreement, not their full syncs, starts each
// peer's claim stream at delta 0 (agreedWith); the peer's first delta,
// lost on its way, shows at the peer's next claims digest like any lost
// last delta, and is asked for a RetryInterval later: n2 holds n1's
// claim within an interval and two RetryIntervals, as after a full sync
// (session 11 listed this as a gap: it is the bound of every SWIM node,
// whose pings show no delta count).
func TestClaimsDigestShowsALostFirstDeltaAfterAgreement(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Sync.Interval = digestInterval
		cfg.Membership.Detector = Swim
	})
	n2 := c.nodes["n2"]
	if s := n2.claimStreams["n1"]; n2.syncedFrom["n1"] || s == nil || s.next != 1 {
		t.Fatalf("n2 synced from n1 by a full sync (%v) or holds no stream at delta 0 (%+v): the test needs n2 synced by n1's agreement", n2.syncedFrom["n1"], s)
	}
	loseClaimDeltaAndRepair(t, c, n2, "first")
}

// TestReorderedOldClaimsDigestCausesNoWrongDrop: a claims digest of n1
// that reaches n2 after a later delta of n1 (reordered) describes an
// older state; n2 neither drops the later claim nor asks. A digest that
// overtakes the delta before it (in flight) makes no ask either once the
// delta lands.
func TestReorderedOldClaimsDigestCausesNoWrongDrop(t *testing.T) {
	c := digestCluster(t, nil)
	n2 := c.nodes["n2"]
	var held []Message
	c.drop = func(env Envelope) bool {
		if env.Msg.From == "n1" && env.To == "n2" && env.Msg.Kind == MsgDigest {
			held = append(held, env.Msg)
			return true
		}
		return false
	}
	c.until(func() bool { return len(held) > 0 }, 2*digestInterval, "a digest of n1 to n2")
	old := held[0]
	c.drop = nil
	id := c.ownedBy("n1", "after")
	if r := c.request("n1", Request{ID: 2, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, ok := n2.reg.claim("n1", id); !ok {
		t.Fatal("n2 lacks n1's new claim before the old digest arrives")
	}
	from := len(c.sent)
	n2.Step(c.now, old)
	c.pump()
	if _, ok := n2.reg.claim("n1", id); !ok {
		t.Error("the reordered old digest dropped n1's newer claim on n2")
	}
	if asks := claimAsksTo(c.sent[from:], "n2", "n1"); asks != 0 || n2.Stats().ClaimDigestMismatches != 0 {
		t.Errorf("the reordered old digest made n2 ask %d times (%d mismatches), want none", asks, n2.Stats().ClaimDigestMismatches)
	}

	// A digest that overtakes its delta: n1's next change reaches n2 after
	// the digest made after it.
	var deltas []Message
	c.drop = func(env Envelope) bool {
		if env.Msg.From == "n1" && env.To == "n2" && env.Msg.Kind == MsgClaims {
			deltas = append(deltas, env.Msg)
			return true
		}
		return false
	}
	id2 := c.ownedBy("n1", "overtaken")
	c.nodes["n1"].Request(c.now, Request{ID: 3, Op: OpStart, Specs: []ChildSpec{{ID: id2}}})
	c.pump()
	c.until(func() bool { return len(deltas) > 0 }, time.Second, "n1's delta to n2")
	held = nil
	c.drop = func(env Envelope) bool {
		if env.Msg.From == "n1" && env.To == "n2" && (env.Msg.Kind == MsgDigest || env.Msg.Kind == MsgClaims) {
			if env.Msg.Kind == MsgDigest {
				held = append(held, env.Msg)
			}
			return true
		}
		return false
	}
	c.until(func() bool { return len(held) > 0 }, 2*digestInterval, "n1's digest after the delta")
	c.drop = nil
	from = len(c.sent)
	n2.Step(c.now, held[0]) // the digest first: a delta it shows is not here yet
	for _, d := range deltas {
		n2.Step(c.now, d)
	}
	c.pump()
	c.runFor(n2.cfg.Timing.RetryInterval * 2)
	if _, ok := n2.reg.claim("n1", id2); !ok {
		t.Error("n2 lacks n1's claim of the overtaken delta")
	}
	if asks := claimAsksTo(c.sent[from:], "n2", "n1"); asks != 0 || n2.Stats().ClaimDigestMismatches != 0 {
		t.Errorf("a digest ahead of its delta made n2 ask %d times (%d mismatches), want none", asks, n2.Stats().ClaimDigestMismatches)
	}
	sameClaimsEverywhere(t, c)
}

// TestRestartedNodeIsSentEveryClaim: a node that restarts (a new
// incarnation, nothing remembered) gets every peer's full claim list with
// their full syncs, and its peers forget its old incarnation's claims:
// without a full list in the periodic rounds, every copy still equals its
// owner's claims once it is ready.
func TestRestartedNodeIsSentEveryClaim(t *testing.T) {
	c := digestCluster(t, nil)
	n2 := c.restart("n2", 2)
	c.until(func() bool {
		for _, name := range c.names {
			if n := c.nodes[name]; !n.ready() || len(n.View()) != 3 || n.members.incarnation("n2") != 2 {
				return false
			}
		}
		return true
	}, 10*time.Second, "n2's new incarnation synced")
	c.runFor(2 * c.nodes["n1"].cfg.Timing.RetryInterval)
	for _, peer := range []NodeID{"n1", "n3"} {
		if n2.reg.sums.get(peer).n == 0 {
			t.Errorf("restarted n2 holds no claim of %s", peer)
		}
	}
	sameClaimsEverywhere(t, c)
}

// TestClaimsDigestFollowsPendingChanges: a round that runs while claim
// changes of the same batch are pending (a child restarted on n1 in the
// batch) sends them before its digest, so the digest names the delta
// that carries them and n2, having applied it, finds no difference.
func TestClaimsDigestFollowsPendingChanges(t *testing.T) {
	c := digestCluster(t, nil)
	n1, n2 := c.nodes["n1"], c.nodes["n2"]
	var id ChildID
	for _, k := range sortedChildKeys(n1.local) {
		id = k
		break
	}
	inst := n1.local[id].instance
	tick := n1.cfg.Timing.TickInterval
	for c.now.Add(tick).Sub(n1.lastSync) < digestInterval {
		c.tick()
	}
	c.now = c.now.Add(tick) // n1's round is due
	n1.BeginBatch()
	n1.ChildEvent(c.now, ChildEvent{Kind: ChildExited, ID: id, Instance: inst, Abnormal: true, Reason: "crash"})
	n1.Tick(c.now) // the round, inside the batch
	n1.EndBatch()
	if n1.lastSync != c.now {
		t.Fatal("n1's round did not run in the batch")
	}
	c.nodes["n2"].Tick(c.now)
	c.nodes["n3"].Tick(c.now)
	c.pump()
	c.runFor(2 * n2.cfg.Timing.RetryInterval)
	if cl, ok := n2.reg.claim("n1", id); !ok || cl.Instance == inst {
		t.Fatalf("n2 holds n1's claim of %s as %+v (ok %v), want the restarted instance", id, cl, ok)
	}
	if m := n2.Stats().ClaimDigestMismatches; m != 0 {
		t.Errorf("%d claims digest mismatches on n2: the digest did not follow the pending change", m)
	}
	sameClaimsEverywhere(t, c)
}

// TestValidateRejectsANegativeClaimsDigest: a claims digest names no
// negative count of deltas or claims; such a message is dropped whole.
func TestValidateRejectsANegativeClaimsDigest(t *testing.T) {
	for _, m := range []Message{
		{Kind: MsgDigest, From: "n1", ClaimDeltas: -1},
		{Kind: MsgDigest, From: "n1", ClaimsLen: -3},
	} {
		if err := m.Validate(100); err == nil {
			t.Errorf("%+v: accepted", m)
		}
	}
	ok := Message{Kind: MsgDigest, From: "n1", ClaimDeltas: 4, ClaimsLen: 2, ClaimsHash: 9}
	if err := ok.Validate(100); err != nil {
		t.Errorf("a valid claims digest rejected: %v", err)
	}
}

// TestCheckInvariantsCatchesADriftedClaimSum: a claim sum that no longer
// matches the claims it sums (a set or drop that skipped its hook) is
// named by CheckInvariants, which the simulator runs after every input.
func TestCheckInvariantsCatchesADriftedClaimSum(t *testing.T) {
	c := digestCluster(t, nil)
	n2 := c.nodes["n2"]
	if err := n2.CheckInvariants(); err != nil {
		t.Fatalf("healthy node: %v", err)
	}
	n2.reg.sums.of("n1").hash++
	if err := n2.CheckInvariants(); err == nil || !strings.Contains(err.Error(), "claims of n1") {
		t.Fatalf("a drifted sum of n1's claims: %v, want an error naming it", err)
	}
}

// loseClaimDeltaAndRepair starts a child owned by n1 (its id prefixed
// by prefix) while n1's claim deltas to n2 are dropped, and fails unless
// n2 holds the claim within an anti-entropy interval and two
// RetryIntervals of the start (the next claims digest shows the hole)
// and every node then holds the same claims.
func loseClaimDeltaAndRepair(t *testing.T, c *lockstep, n2 *Node, prefix string) {
	t.Helper()
	id := c.ownedBy("n1", prefix)
	c.drop = func(env Envelope) bool {
		return env.Msg.From == "n1" && env.To == "n2" && env.Msg.Kind == MsgClaims
	}
	if r := c.request("n1", Request{ID: 2, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	c.drop = nil
	if _, ok := n2.reg.claim("n1", id); ok {
		t.Fatal("n2 got n1's claim although its delta was dropped")
	}
	at := c.now
	c.until(func() bool { _, ok := n2.reg.claim("n1", id); return ok }, 4*digestInterval, "n1's claim of "+string(id)+" on n2")
	if bound := digestInterval + 2*n2.cfg.Timing.RetryInterval + n2.cfg.Timing.TickInterval; c.now.Sub(at) > bound {
		t.Errorf("repaired after %v, want within %v", c.now.Sub(at), bound)
	}
	sameClaimsEverywhere(t, c)
}
