package core

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// swimEnv forms a cluster of size nodes with the SWIM detector (fast
// timings: 50 ms periods, 300 ms suspicion) and returns it formed.
func swimEnv(t *testing.T, size int) *testEnv {
	t.Helper()
	e := newTestEnv()
	e.tune = func(c *Config) { c.Membership.Detector = Swim }
	for i := 1; i <= size; i++ {
		if err := e.addNode(NodeID(fmt.Sprintf("n%02d", i)), 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.run(10*time.Second, true, e.formed); err != nil {
		t.Fatalf("%d swim nodes did not form: %v", size, err)
	}
	return e
}

// sentKinds runs the env for d and counts the messages each kind sent
// (every message is delivered unless a link is cut).
func sentKinds(t *testing.T, e *testEnv, d time.Duration) map[MsgKind]int {
	t.Helper()
	counts := map[MsgKind]int{}
	tickWatching(t, e, func(spent time.Duration) bool { return spent >= d }, 0, "", func(env Envelope) { counts[env.Msg.Kind]++ })
	return counts
}

// tickWatching ticks e's live nodes until done (asked before every tick
// with the time spent), delivering every message in rounds and showing
// each to see before its delivery; with a limit, it fails the test with
// what once the time spent passes the limit before done.
func tickWatching(t *testing.T, e *testEnv, done func(spent time.Duration) bool, limit time.Duration, what string, see func(Envelope)) {
	t.Helper()
	step := e.tickInterval()
	for spent := time.Duration(0); !done(spent); spent += step {
		if limit > 0 && spent > limit {
			t.Fatalf("%s within %v", what, limit)
		}
		e.tick(step, e.alive())
		for round := 0; len(e.inflight) > 0; round++ {
			if round == 1000 {
				t.Fatal("messages still in flight after 1000 rounds")
			}
			for _, env := range e.inflight {
				see(env)
			}
			e.deliver(e.take(match{}))
			e.answer()
		}
	}
}

func inView(n *Node, name NodeID) bool {
	for _, v := range n.View() {
		if v == name {
			return true
		}
	}
	return false
}

// An idle SWIM node sends one probe per period and answers the probes it
// gets, whatever the cluster's size: no heartbeats, no ping-reqs while
// every probe is answered, and the same messages per node at 6 and 24
// nodes.
func TestSwimIdleTrafficPerNodeIsConstant(t *testing.T) {
	perNode := map[int]float64{}
	for _, size := range []int{6, 24} {
		e := swimEnv(t, size)
		period := e.nodes["n01"].cfg.Timing.HeartbeatInterval
		const periods = 40
		counts := sentKinds(t, e, periods*period)
		if counts[MsgHeartbeat] != 0 || counts[MsgPingReq] != 0 {
			t.Fatalf("%d nodes: idle swim cluster sent %d heartbeats and %d ping-reqs, want none", size, counts[MsgHeartbeat], counts[MsgPingReq])
		}
		if got, want := counts[MsgPing], size*periods; got != want {
			t.Errorf("%d nodes: %d pings in %d periods, want one per node per period (%d)", size, got, periods, want)
		}
		if counts[MsgPingAck] != counts[MsgPing] {
			t.Errorf("%d nodes: %d acks for %d pings", size, counts[MsgPingAck], counts[MsgPing])
		}
		for _, name := range e.alive() {
			if s := e.nodes[name].Suspects(); len(s) != 0 {
				t.Errorf("%d nodes: %s suspects %v in a healthy cluster", size, name, s)
			}
		}
		perNode[size] = float64(counts[MsgPing]+counts[MsgPingAck]) / float64(size)
	}
	if perNode[24] != perNode[6] {
		t.Errorf("probe traffic per node: %.1f at 6 nodes, %.1f at 24, want equal", perNode[6], perNode[24])
	}
}

// A crashed member is suspected by the first node whose probe it misses,
// and every node declares it down after DownAfter of suspicion, not
// before, within a round of probes plus DownAfter plus a few periods of
// piggybacked spread.
func TestSwimDetectsACrash(t *testing.T) {
	const size = 12
	e := swimEnv(t, size)
	cfg := e.nodes["n01"].cfg.Timing
	victim := NodeID("n07")
	e.nodes[victim], e.open[victim] = nil, nil
	crashedAt := e.now
	firstDown, allDown := time.Duration(-1), time.Duration(-1)
	bound := time.Duration(size)*cfg.HeartbeatInterval + cfg.DownAfter + 10*cfg.HeartbeatInterval
	for e.now.Sub(crashedAt) <= bound && allDown < 0 {
		e.tick(cfg.TickInterval, e.alive())
		if _, err := e.settle(true); err != nil {
			t.Fatal(err)
		}
		dropped := 0
		for _, name := range e.alive() {
			if !inView(e.nodes[name], victim) {
				dropped++
			}
		}
		if dropped > 0 && firstDown < 0 {
			firstDown = e.now.Sub(crashedAt)
		}
		if dropped == size-1 {
			allDown = e.now.Sub(crashedAt)
		}
	}
	if allDown < 0 {
		t.Fatalf("crash of %s not detected by every node within %v", victim, bound)
	}
	if firstDown < cfg.DownAfter {
		t.Errorf("%s declared down %v after its crash, before DownAfter (%v) of suspicion", victim, firstDown, cfg.DownAfter)
	}
	for _, name := range e.alive() {
		if s := e.nodes[name].Suspects(); len(s) != 0 {
			t.Errorf("%s still suspects %v after the crash was detected", name, s)
		}
	}
	t.Logf("crash: first down after %v, every view after %v (bound %v)", firstDown, allDown, bound)
}

// A member one node cannot reach directly (a non-transitive cut) stays
// alive in its view: the indirect probes through the others answer for
// it, so nobody suspects it for long and nobody declares it down.
func TestSwimIndirectProbesAnswerAcrossACut(t *testing.T) {
	e := swimEnv(t, 6)
	cfg := e.nodes["n01"].cfg.Timing
	e.cut[[2]NodeID{"n01", "n04"}], e.cut[[2]NodeID{"n04", "n01"}] = true, true
	counts := sentKinds(t, e, 4*cfg.DownAfter)
	if counts[MsgPingReq] == 0 {
		t.Fatal("no ping-req sent although n01 and n04 cannot reach each other")
	}
	for _, name := range e.alive() {
		if len(e.nodes[name].View()) != 6 {
			t.Errorf("%s view %v: a member reachable through others was declared down", name, e.nodes[name].View())
		}
	}
}

// A member cut off for less than DownAfter is suspected and then refuted
// (its Beat raised, or direct contact again): it never leaves any view.
// Cut off for longer, it is declared down, and comes back on direct
// contact once the cut heals.
func TestSwimSuspicionIsRefutedAndDownHeals(t *testing.T) {
	e := swimEnv(t, 6)
	cfg := e.nodes["n01"].cfg.Timing
	isolate := func(name NodeID) {
		for _, o := range e.names {
			if o != name {
				e.cut[[2]NodeID{name, o}], e.cut[[2]NodeID{o, name}] = true, true
			}
		}
	}
	isolate("n03")
	suspected := false
	for spent := time.Duration(0); spent < cfg.DownAfter-2*cfg.HeartbeatInterval; spent += cfg.TickInterval {
		e.tick(cfg.TickInterval, e.alive())
		if _, err := e.settle(true); err != nil {
			t.Fatal(err)
		}
		for _, name := range e.alive() {
			suspected = suspected || strings.Contains(fmt.Sprint(e.nodes[name].Suspects()), "n03")
			if !inView(e.nodes[name], "n03") {
				t.Fatalf("%s dropped n03 after %v, before DownAfter of suspicion", name, spent)
			}
		}
	}
	if !suspected {
		t.Fatal("nobody suspected n03 while it was cut off")
	}
	e.cut = map[[2]NodeID]bool{}
	if _, err := e.run(2*cfg.DownAfter, true, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range e.alive() {
		if !inView(e.nodes[name], "n03") || len(e.nodes[name].Suspects()) != 0 {
			t.Fatalf("%s view %v suspects %v after the cut healed before DownAfter", name, e.nodes[name].View(), e.nodes[name].Suspects())
		}
	}
	isolate("n03")
	if _, err := e.run(4*cfg.DownAfter, true, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range e.alive() {
		if name != "n03" && inView(e.nodes[name], "n03") {
			t.Fatalf("%s still holds n03 after 4×DownAfter cut off", name)
		}
	}
	e.cut = map[[2]NodeID]bool{}
	if _, err := e.run(10*time.Second, true, e.formed); err != nil {
		t.Fatalf("n03 did not come back after the cut healed: %v", err)
	}
}

// News that this node is suspect makes it raise its Beat and spread the
// refutation; news about another member never brings a down member back
// (only direct contact does), and news at an older Beat loses.
func TestSwimNewsRules(t *testing.T) {
	e := swimEnv(t, 4)
	n1 := e.nodes["n01"]
	inc := n1.members.own().Incarnation
	n1.Step(e.now, Message{Kind: MsgPing, Hub: "phub", From: "n02", Inc: 1, Seq: 7,
		Members: []Member{{Name: "n02", Incarnation: 1, Status: StatusAlive}, {Name: "n01", Incarnation: inc, Status: StatusSuspect}}})
	if got := n1.members.own().Beat; got != 1 {
		t.Fatalf("n01 suspected at beat 0 raised its beat to %d, want 1", got)
	}
	r := n1.Ready()
	refuted := false
	for _, env := range r.Messages {
		for _, m := range env.Msg.Members {
			refuted = refuted || (env.Msg.Kind == MsgPingAck && m.Name == "n01" && m.Beat == 1 && m.Status == StatusAlive)
		}
	}
	if !refuted {
		t.Fatalf("n01's ack carries no refutation: %+v", r.Messages)
	}
	// Down news at an older beat than known loses; at the known beat wins.
	n1.members.members["n03"].Beat = 2
	n1.swimApply(Member{Name: "n03", Incarnation: 1, Status: StatusDown, Beat: 1})
	if !inView(n1, "n03") {
		t.Fatal("down news at beat 1 removed n03 known at beat 2")
	}
	n1.swimApply(Member{Name: "n03", Incarnation: 1, Status: StatusDown, Beat: 2})
	if inView(n1, "n03") {
		t.Fatal("down news at the known beat left n03 in the view")
	}
	// Alive news at a higher beat does not bring it back: no direct contact.
	n1.swimApply(Member{Name: "n03", Incarnation: 1, Status: StatusAlive, Beat: 9})
	if inView(n1, "n03") {
		t.Fatal("alive news brought a down member back without direct contact")
	}
	n1.Step(e.now, Message{Kind: MsgPingAck, Hub: "phub", From: "n03", Inc: 1,
		Members: []Member{{Name: "n03", Incarnation: 1, Status: StatusAlive, Beat: 9}}})
	if !inView(n1, "n03") {
		t.Fatal("direct contact did not bring n03 back")
	}
}

// The piggyback is bounded per message and each piece of news is sent a
// bounded number of times.
func TestSwimPiggybackIsBounded(t *testing.T) {
	e := swimEnv(t, 4)
	n1 := e.nodes["n01"]
	for i := 0; i < 3*swimQueueMax; i++ {
		n1.swimEnqueue(Member{Name: NodeID(fmt.Sprintf("x%03d", i)), Status: StatusSuspect})
	}
	if len(n1.swim.queue) != swimQueueMax {
		t.Fatalf("queue holds %d, want the bound %d", len(n1.swim.queue), swimQueueMax)
	}
	sends := 0
	for len(n1.swim.queue) > 0 {
		out := n1.swimPiggyback()
		if len(out) > swimPiggybackMax {
			t.Fatalf("piggyback of %d news, want ≤ %d", len(out), swimPiggybackMax)
		}
		sends += len(out)
		if sends > swimQueueMax*n1.swimRetransmits() {
			t.Fatal("news sent more often than the retransmit limit")
		}
	}
	if want := swimQueueMax * n1.swimRetransmits(); sends != want {
		t.Errorf("%d sends, want each of %d news sent %d times (%d)", sends, swimQueueMax, n1.swimRetransmits(), want)
	}
}

func TestSwimConfig(t *testing.T) {
	cfg := DefaultConfig("a")
	cfg.Incarnation = 1
	cfg.Membership.Detector = "gossip"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "Membership.Detector") {
		t.Errorf("unknown detector: %v, want an error naming Membership.Detector", err)
	}
	cfg.Membership.Detector, cfg.Membership.IndirectProbes = Swim, maxIndirectProbes+1
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "Membership.IndirectProbes") {
		t.Errorf("too many indirect probes: %v, want an error naming Membership.IndirectProbes", err)
	}
	k, _ := ConfigKeyByName("detector")
	if err := k.Set(&cfg, "swim"); err != nil || cfg.Membership.Detector != Swim {
		t.Errorf("detector=swim: %v, %q", err, cfg.Membership.Detector)
	}
	if err := k.Set(&cfg, "nope"); err == nil || cfg.Membership.Detector != Swim {
		t.Errorf("detector=nope: %v (value %q kept?)", err, cfg.Membership.Detector)
	}
	if DefaultConfig("a").Membership.Detector != AllToAll {
		t.Error("the default detector is not all-to-all")
	}
}
