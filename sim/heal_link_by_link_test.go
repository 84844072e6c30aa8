package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// TestMajorityHealLinkByLink replays netfault's c03 in the simulator and
// judges it with the sweep's porcupine check: a heal noticed link by link
// lets the returning owner of a child start it again while the other
// side's start of it is acknowledged (core/quorum_rival.go). The correct
// core's history is linearizable; with Broken.MajorityAcceptsRivalWrites
// (the rule before) the check finds it illegal, so the scripted run
// reaches the window.
//
// The random partition class does not reach it: a heal there restores
// every link at once, every node notices the others at their next
// heartbeat, and the window — the shared member's sync to the returning
// owner sent before it acknowledged the other side's start, and a start
// of the same child at the returning owner before the other side's sync
// arrives — is a few milliseconds of message delay wide, in which the
// 20-60 operations of a seed almost never put two starts of one child.
func TestMajorityHealLinkByLink(t *testing.T) {
	for _, broken := range []bool{false, true} {
		s, x := majorityHealLinkByLink(t, core.BrokenFor{MajorityAcceptsRivalWrites: broken})
		lin := checks.CheckLinearizableHarness(s.History())
		if vs := s.CheckRun(); len(vs) > 0 {
			t.Errorf("broken=%v: %d violations, first %s", broken, len(vs), vs[0])
		}
		switch {
		case !broken && lin.Status != checks.LinOk:
			t.Errorf("the correct core's history (%s) is not linearizable: %s", x, lin.String())
		case broken && lin.Status != checks.LinIllegal:
			t.Errorf("with the rival writes accepted the check says %s, want illegal (%s started twice)", lin.String(), x)
		}
	}
}

// majorityHealLinkByLink runs five nodes with majority quorum: a split
// {n2,n3} | {n1,n4,n5}, then n4's links heal first; the majority-side
// owner of x starts it, then n2, x's owner with every node up, does; then
// the rest heals.
func majorityHealLinkByLink(t *testing.T, broken core.BrokenFor) (*Sim, core.ChildID) {
	t.Helper()
	s := New(Options{Seed: 1, Configure: func(c *core.Config) {
		c.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: 5, TrackMaxSize: true}
		c.Broken = broken
	}})
	for i := 1; i <= 5; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second)
	var x core.ChildID
	var m core.NodeID
	for i := 0; i < 1000 && x == ""; i++ {
		id := core.ChildID(fmt.Sprintf("x%d", i))
		order := s.nodes["n1"].node.BelongsTo(id, 5)
		if len(order) != 5 || order[0] != "n2" {
			continue
		}
		for _, o := range order { // the majority side's owner: its first node in x's order
			if o == "n1" || o == "n4" || o == "n5" {
				if o != "n4" { // n4 is the member both sides see: not the shape of c03
					x, m = id, o
				}
				break
			}
		}
	}
	if x == "" {
		t.Fatal("no child owned by n2 whose majority-side owner is n1 or n5")
	}
	minority, majority := []core.NodeID{"n2", "n3"}, []core.NodeID{"n1", "n4", "n5"}
	s.Partition(minority, majority)
	s.RunFor(2 * time.Second)
	for _, a := range minority {
		delete(s.blocked, [2]core.NodeID{a, "n4"})
		delete(s.blocked, [2]core.NodeID{"n4", a})
	}
	s.RunFor(500 * time.Millisecond) // n2 and n4 see each other: n2 has quorum and n4's sync
	if n2 := s.nodes["n2"].node; n2.Partitioned() || !n2.Readiness().Synced {
		t.Fatalf("n2 did not regain quorum through n4 (view %v)", n2.View())
	}
	if _, err := s.Request(m, core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: x}}, Start: core.StartOptions{Await: true}}); err != nil {
		t.Fatal(err)
	}
	s.RunFor(200 * time.Millisecond)
	if _, err := s.Request("n2", core.Request{Op: core.OpStart, Specs: []core.ChildSpec{{ID: x}}, Start: core.StartOptions{Await: true}}); err != nil {
		t.Fatal(err)
	}
	s.RunFor(200 * time.Millisecond)
	s.Heal()
	s.RunFor(10 * time.Second)
	return s, x
}
