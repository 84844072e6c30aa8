package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// TestRapidQuorumRegressionCatchesViewCounting proves that the committed
// fail file TestRapidCluster-quorum-crash-join-leave-cut.fail is a
// regression that can fail: replayed on a core whose majority quorum
// counts views (core.Broken.QuorumCountsViews, the rule before
// core/quorum_members.go), its case fails the minority-window check — a
// node cut off with two of the four members it knew acknowledged a stop —
// while TestRapidCluster replays it on the real core and passes.
func TestRapidQuorumRegressionCatchesViewCounting(t *testing.T) {
	tb := &captureTB{name: t.Name()}
	withRapidFlags(t, map[string]string{
		"rapid.failfile":   "testdata/rapid/TestRapidCluster/TestRapidCluster-quorum-crash-join-leave-cut.fail",
		"rapid.checks":     "1",
		"rapid.nofailfile": "true",
	}, func() {
		checkCaptured(tb, rapidClusterProp(rapidConfig{Broken: core.BrokenFor{QuorumCountsViews: true}}))
	})
	if !tb.failed {
		t.Fatalf("the fail file passed on a core that counts views: %v", tb.logs)
	}
	if msg := strings.Join(tb.errors, "\n"); !strings.Contains(msg, "inside minority window") {
		t.Fatalf("the fail file failed, but not on a minority window:\n%s", msg)
	}
}

// freshAloneScript replays the case rapid shrank seed 37678 to (the
// shrinker's first failure, found on a core whose majority quorum knew
// only its established members): three of five crash while two join; n5
// restarts in memory cut off from everyone and founds its established
// set alone, then the cut moves to {n2 n3 n5} | {n1 n4 n6 n7} — three of
// seven members, n1 and n4 down on the other side. n5 established n2 and
// n3 by its own acknowledgement, measured them against the initial size
// of five and acknowledged a stop. It returns the quorum check's
// violations after heal and quiescence.
func freshAloneScript(broken core.BrokenFor) []checks.Violation {
	const nodes = 5
	s := New(Options{Seed: 1, Configure: func(cfg *core.Config) {
		Strategies["gossip"](cfg)
		cfg.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: nodes, TrackMaxSize: true}
		cfg.Broken = broken
	}})
	for i := 1; i <= nodes; i++ {
		s.AddNode(nodeName(i))
	}
	s.RunFor(settleTime)
	s.Crash("n4")
	s.AddNode("n6")
	s.Crash("n1")
	s.AddNode("n7")
	s.Crash("n5")
	s.Partition([]core.NodeID{"n5"}, []core.NodeID{"n1", "n2", "n3", "n4", "n6", "n7"})
	s.Restart("n5")
	s.Restart("n1")
	s.RunFor(1047 * time.Millisecond)
	s.Heal()
	s.Partition([]core.NodeID{"n2", "n3", "n5"}, []core.NodeID{"n1", "n4", "n6", "n7"})
	s.RunFor(1839 * time.Millisecond)
	s.Request("n5", core.Request{Op: core.OpStop, IDs: []core.ChildID{"c1"}, Stop: core.StopOptions{Await: true}})
	s.Restart("n4")
	s.RunFor(2 * time.Millisecond)
	s.Heal()
	s.RunFor(10 * time.Second)
	t := FastTiming()
	bound := t.DownAfter + 2*t.TickInterval + 2*s.opts.Net.MaxDelay
	return checks.Quorum(s.MinorityWindows(), bound, s.Instances(), s.History())
}

// TestRapidQuorumFreshNodeRestartedAlone is the regression of seed
// 37678's product bug: on the real core the fresh n5 counts every member
// its peers' heartbeats list (core/quorum_members.go) and acknowledges
// nothing on its side of three of seven; on a core that measures against
// its established members only (core.Broken.QuorumKnowsEstablishedOnly)
// the same script fails the minority-window check.
func TestRapidQuorumFreshNodeRestartedAlone(t *testing.T) {
	if vs := freshAloneScript(core.BrokenFor{}); len(vs) > 0 {
		t.Fatalf("the real core acknowledged inside a minority window: %v", vs)
	}
	vs := freshAloneScript(core.BrokenFor{QuorumKnowsEstablishedOnly: true})
	if len(vs) == 0 {
		t.Fatal("the script passed on a core that measures against its established members only")
	}
	if !strings.Contains(vs[0].Detail, "inside minority window") || vs[0].Node != "n5" {
		t.Fatalf("the script failed, but not on n5's minority window: %v", vs)
	}
}

// memorylessPairScript is rapid seed 6's case (replay seed 186972, fail
// file TestRapidCluster-quorum-memoryless-pair-at-cut.fail) with a child
// started first: in a cluster of three, c1 is started and acknowledged;
// then n1 crashes and restarts in memory, n4 joins, and at that instant
// the cut {n2 n3} | {n1 n4} starts. n1 and n4 booted without a
// membership and reach only each other. 2 s later a lookup at n1 and a
// stop at n4 ask for c1. It returns the quorum check's violations and
// the linearizability verdict after heal and quiescence.
func memorylessPairScript(broken core.BrokenFor) ([]checks.Violation, checks.LinResult) {
	s := New(Options{Seed: 1, Configure: func(cfg *core.Config) {
		Strategies["gossip"](cfg)
		cfg.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: 3, TrackMaxSize: true}
		cfg.Broken = broken
	}})
	for i := 1; i <= 3; i++ {
		s.AddNode(nodeName(i))
	}
	s.RunFor(settleTime)
	s.Request("n2", core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: "c1"}}, Start: core.StartOptions{Await: true, SkipCheckExisting: true}})
	s.RunFor(time.Second)
	s.Crash("n1")
	s.Restart("n1")
	s.AddNode("n4")
	s.Partition([]core.NodeID{"n2", "n3"}, []core.NodeID{"n1", "n4"})
	s.RunFor(2 * time.Second)
	s.Request("n1", core.Request{Op: core.OpLookup, IDs: []core.ChildID{"c1"}, Consistency: core.Owner})
	s.Request("n4", core.Request{Op: core.OpStop, IDs: []core.ChildID{"c1"}, Stop: core.StopOptions{Await: true}})
	s.RunFor(2 * time.Second)
	s.Heal()
	s.RunFor(10 * time.Second)
	t := FastTiming()
	bound := t.DownAfter + 2*t.TickInterval + 2*s.opts.Net.MaxDelay
	return checks.Quorum(s.MinorityWindows(), bound, s.Instances(), s.History()), checks.CheckLinearizableHarness(s.History())
}

// TestRapidQuorumMemorylessPairAtCut is the regression of rapid seed 6's
// product bug: a node restarted in memory and a joiner, cut off together
// from the two members that remember the cluster, took each other for
// the whole membership and answered "not found" for an acknowledged
// child. On the real core each counts its configured seeds not yet
// identified as members (core/quorum_seeds.go), so neither holds a
// majority and the history stays linearizable; on a core that ignores
// them (core.Broken.QuorumIgnoresSeeds) the same script is not
// linearizable and acknowledges inside a minority window.
func TestRapidQuorumMemorylessPairAtCut(t *testing.T) {
	if vs, lin := memorylessPairScript(core.BrokenFor{}); len(vs) > 0 || lin.Status != checks.LinOk {
		t.Fatalf("the real core: violations %v, linearizability %v", vs, lin)
	}
	vs, lin := memorylessPairScript(core.BrokenFor{QuorumIgnoresSeeds: true})
	if lin.Status != checks.LinIllegal || lin.Child != "c1" {
		t.Fatalf("the script's history is linearizable on a core that ignores its seeds: %v", lin)
	}
	if len(vs) == 0 || !strings.Contains(vs[0].Detail, "inside minority window") {
		t.Fatalf("the script acknowledged nothing inside a minority window on a core that ignores its seeds: %v", vs)
	}
}

// TestRapidQuorumRegressionCatchesIgnoredSeeds proves that the committed
// fail file TestRapidCluster-quorum-memoryless-pair-at-cut.fail can fail:
// replayed on a core that leaves unidentified seeds out of the members
// it knows, its case fails the minority-window check (n1, restarted in
// memory, answered a stop with n4 alone), while TestRapidCluster replays
// it on the real core and passes.
func TestRapidQuorumRegressionCatchesIgnoredSeeds(t *testing.T) {
	tb := &captureTB{name: t.Name()}
	withRapidFlags(t, map[string]string{
		"rapid.failfile":   "testdata/rapid/TestRapidCluster/TestRapidCluster-quorum-memoryless-pair-at-cut.fail",
		"rapid.checks":     "1",
		"rapid.nofailfile": "true",
	}, func() {
		checkCaptured(tb, rapidClusterProp(rapidConfig{Broken: core.BrokenFor{QuorumIgnoresSeeds: true}}))
	})
	if !tb.failed {
		t.Fatalf("the fail file passed on a core that ignores its seeds: %v", tb.logs)
	}
	if msg := strings.Join(tb.errors, "\n"); !strings.Contains(msg, "inside minority window") {
		t.Fatalf("the fail file failed, but not on a minority window:\n%s", msg)
	}
}
