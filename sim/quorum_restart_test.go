package sim

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// A majority-quorum cluster of durable nodes keeps majority semantics
// across restarts from disk: once the nodes are back, any majority of
// them serves. A node restored from disk knows its cluster from its
// persisted view; counting its configured seeds on top of that view
// counted every peer twice (by its view entry and by its seed) until the
// peer was heard, and max-seen, which never drops, kept the double count:
// 5 nodes restored from disk measured against 9, so every one of the 5
// had to be up for any to serve, and a crash afterwards stopped the
// whole cluster (the durable class's majority_quorum row of the
// availability report fell from 98.2% to 53.1% of child-time running;
// core/quorum_seeds.go).
func TestMajorityQuorumServesAfterRestartFromDisk(t *testing.T) {
	for _, tc := range restartFromDiskCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := majorityServesAfterRestartFromDisk(tc.restart, core.BrokenFor{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRestartFromDiskCatchesSeedsOverView proves the test above can
// fail: with the seeds counted on top of the restored view
// (core.Broken.QuorumSeedsOverRestoredView, the rule of 7b9eeaa), the
// nodes up are not all serving in at least one of its cases (in each of
// them while max-seen takes the seeds; with n4 and n5 never back, also
// where only each judgement counts them).
func TestRestartFromDiskCatchesSeedsOverView(t *testing.T) {
	caught := 0
	for _, tc := range restartFromDiskCases {
		err := majorityServesAfterRestartFromDisk(tc.restart, core.BrokenFor{QuorumSeedsOverRestoredView: true})
		if err != nil {
			caught++
			t.Logf("%s: caught: %v", tc.name, err)
		}
	}
	if caught == 0 {
		t.Fatal("seeds counted over the restored view, yet in every case every node up served with 3 of 5 up")
	}
}

var restartFromDiskCases = []struct {
	name    string
	restart []core.NodeID // crashed at once, restarted from disk in this order
}{
	{"one node", []core.NodeID{"n1"}},
	{"every node", []core.NodeID{"n1", "n2", "n3", "n4", "n5"}},
	// n4 and n5 never come back: the three others, restored from disk
	// without ever hearing them, must serve (before eb6f3e4 they measured
	// against 3 + 4 + 2 seeds never identified).
	{"three of five", []core.NodeID{"n1", "n2", "n3"}},
}

// majorityServesAfterRestartFromDisk boots five durable majority-quorum
// nodes (each with the others as seeds, as every simulated node), starts
// children, crashes the nodes of restart at once and restarts them from
// their disks one by one, DownAfter/2 apart (the first comes back alone).
// Once every node serves again, n4 and n5 crash: the other three are a
// majority of the cluster and must serve, a start through n1 included.
// It returns what did not hold. Bounds are simulated time, independent of
// the machine's load.
func majorityServesAfterRestartFromDisk(restart []core.NodeID, broken core.BrokenFor) error {
	const nodes = 5
	timing := FastTiming()
	s := New(Options{Seed: 1, Durable: true, Configure: func(c *core.Config) {
		c.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: nodes, TrackMaxSize: true}
		c.Broken = broken
	}})
	for i := 1; i <= nodes; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			return err
		}
	}
	if err := everyNodeServes(s, "after the first boot", 10*time.Second); err != nil {
		return err
	}
	var specs []core.ChildSpec
	for i := 0; i < 6; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("c%d", i))})
	}
	if err := awaitStart(s, "n1", specs, 2*timing.RequestTimeout); err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	crash := restart
	if !slices.Contains(restart, "n4") {
		// n4 and n5 go down with the restarted nodes and stay down.
		crash = append(slices.Clone(restart), "n4", "n5")
	}
	for _, n := range crash {
		s.Crash(n)
	}
	for _, n := range restart {
		s.RunFor(timing.DownAfter / 2)
		if err := s.Restart(n); err != nil {
			return err
		}
	}
	if err := everyNodeServes(s, "after the restart from disk", 10*time.Second); err != nil {
		return err
	}
	s.Crash("n4")
	s.Crash("n5")
	if err := untilDetected(s, []core.NodeID{"n4", "n5"}, 10*time.Second); err != nil {
		return err
	}
	if err := everyNodeServes(s, "with n4 and n5 crashed (3 of 5 up)", 10*time.Second); err != nil {
		return err
	}
	if !slices.Contains(restart, "n4") {
		// A node back from disk acts as an owner once it has synced with
		// every peer of its last view, or given an absent one up after
		// ForgetDownAfter (core/persist.go): quorum is not what it waits for.
		s.RunFor(timing.ForgetDownAfter)
	}
	if err := awaitStart(s, "n1", []core.ChildSpec{{ID: "after"}}, 2*timing.RequestTimeout); err != nil {
		return fmt.Errorf("a start on n1 with 3 of 5 up: %w", err)
	}
	return nil
}

// everyNodeServes runs the simulation until every live node holds quorum
// and names the partitioned nodes if that takes longer than bound.
func everyNodeServes(s *Sim, when string, bound time.Duration) error {
	const step = 100 * time.Millisecond
	var stuck []core.NodeID
	for waited := time.Duration(0); waited <= bound; waited += step {
		stuck = stuck[:0]
		for _, n := range s.LiveNodes() {
			if s.Node(n).Partitioned() {
				stuck = append(stuck, n)
			}
		}
		if len(stuck) == 0 {
			return nil
		}
		s.RunFor(step)
	}
	return fmt.Errorf("%s: %v still without quorum %v later (%d of %d nodes up)", when, stuck, bound, len(s.LiveNodes()), len(s.NodeNames()))
}

// untilDetected runs the simulation until no live node has any of gone in
// its view, for at most bound.
func untilDetected(s *Sim, gone []core.NodeID, bound time.Duration) error {
	const step = 100 * time.Millisecond
	for waited := time.Duration(0); waited <= bound; waited += step {
		seen := false
		for _, n := range s.LiveNodes() {
			for _, v := range s.Node(n).View() {
				seen = seen || slices.Contains(gone, v)
			}
		}
		if !seen {
			return nil
		}
		s.RunFor(step)
	}
	return fmt.Errorf("%v still in a live node's view %v after their crash", gone, bound)
}

// awaitStart starts specs through node, awaited, and returns the
// request's or the first child's error, or a timeout after bound.
func awaitStart(s *Sim, node core.NodeID, specs []core.ChildSpec, bound time.Duration) error {
	id, err := s.Request(node, core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Await: true}})
	if err != nil {
		return err
	}
	const step = 10 * time.Millisecond
	for waited := time.Duration(0); waited <= bound; waited += step {
		if rep, ok := s.Reply(id); ok {
			if rep.Err != nil {
				return rep.Err
			}
			for _, r := range rep.Results {
				if r.Err != "" {
					return fmt.Errorf("%s: %s (%s)", r.ID, r.Err, r.Detail)
				}
			}
			return nil
		}
		s.RunFor(step)
	}
	return fmt.Errorf("request %d on %s unanswered after %v", id, node, bound)
}

// TestMajorityQuorumRestoredMinorityStaysPartitioned: a restored node
// keeps the size of the cluster it belongs to, not only the view it last
// wrote. Five nodes (the cluster grew past its initial size of 3); n3, n4
// and n5 crash, so n1 and n2 last write the view {n1 n2}, partitioned (2
// of 5); then n1 and n2 crash too, and all five restart from disk with a
// cut between {n1 n2} and {n3 n4 n5}, the majority. n1 and n2 must stay
// partitioned. What holds them: each counts its four seeds at boot,
// before its view is restored (quorum_seeds.go), so max-seen starts at
// 5; measured against their restored view and the initial size alone
// they would hold two of three while n3 to n5 serve.
func TestMajorityQuorumRestoredMinorityStaysPartitioned(t *testing.T) {
	if err := restoredMinorityStaysPartitioned(core.BrokenFor{}); err != nil {
		t.Fatal(err)
	}
	// Without the seeds (the rule before quorum_seeds.go) both sides serve.
	if err := restoredMinorityStaysPartitioned(core.BrokenFor{QuorumIgnoresSeeds: true}); err == nil {
		t.Fatal("with the seeds ignored, the restored minority still stayed partitioned: the test cannot fail")
	} else {
		t.Logf("caught with the seeds ignored: %v", err)
	}
}

func restoredMinorityStaysPartitioned(broken core.BrokenFor) error {
	const nodes = 5
	timing := FastTiming()
	s := New(Options{Seed: 1, Durable: true, Configure: func(c *core.Config) {
		c.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: 3, TrackMaxSize: true}
		c.Broken = broken
	}})
	for i := 1; i <= nodes; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			return err
		}
	}
	if err := everyNodeServes(s, "after the first boot", 10*time.Second); err != nil {
		return err
	}
	minority, majority := []core.NodeID{"n1", "n2"}, []core.NodeID{"n3", "n4", "n5"}
	for _, n := range majority {
		s.Crash(n)
	}
	if err := untilDetected(s, majority, 10*time.Second); err != nil {
		return err
	}
	s.RunFor(2 * timing.DownAfter)
	for _, n := range minority {
		if !s.Node(n).Partitioned() {
			return fmt.Errorf("%s serves with 2 of 5 up", n)
		}
		s.Crash(n)
	}
	s.Partition(minority, majority)
	for _, n := range append(slices.Clone(majority), minority...) {
		s.RunFor(timing.DownAfter / 2)
		if err := s.Restart(n); err != nil {
			return err
		}
	}
	const step = 100 * time.Millisecond
	for waited := time.Duration(0); waited <= 20*time.Second; waited += step {
		for _, n := range minority {
			if !s.Node(n).Partitioned() {
				return fmt.Errorf("%s, restored from disk into the minority {n1 n2} of a cut, serves %v after the restarts (n3 of the majority partitioned: %v)", n, waited, s.Node("n3").Partitioned())
			}
		}
		s.RunFor(step)
	}
	return nil
}
