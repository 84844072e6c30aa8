package core

import (
	"testing"
	"time"
)

// TestHotSwapIgnoresAReturningMembersStaleClaim: a member that comes back
// after a partition may still show, in this node's registry, a claim it
// dropped while away (it lost quorum and stopped its instance; the claim
// delta never crossed the cut). Under hot swap the node that took the
// child over keeps its instance until the returning member's full sync
// says what it runs, and then until the member's new instance runs —
// instead of taking the stale claim, of an older epoch, for a newcomer's
// and stopping at once, a gap with no instance running (simulator:
// phubd sim --class nontransitive --seed 23 --detector swim,
// HotSwapRunsFirst).
func TestHotSwapIgnoresAReturningMembersStaleClaim(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Partition = PartitionConfig{Kind: StaticQuorum, QuorumSize: 2}
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: 10 * time.Second}
	})
	id := c.ownedBy("n2", "s")
	if rep := c.request("n2", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	cut := true
	c.drop = func(env Envelope) bool { return cut && (env.To == "n2" || env.Msg.From == "n2") }
	n2 := c.nodes["n2"]
	var holder NodeID
	c.until(func() bool {
		for _, p := range []NodeID{"n1", "n3"} {
			if c.nodes[p].local[id] != nil {
				holder = p
			}
		}
		return holder != "" && n2.local[id] == nil
	}, time.Minute, "the majority takes the child over and the isolated n2 stops it")
	h := c.nodes[holder]
	if _, stale := h.reg.claim("n2", id); !stale {
		t.Fatalf("%s holds no claim of n2 for %s: the test does not test a stale claim", holder, id)
	}
	old := h.local[id]
	held := c.holdStartsOf("n2", id)
	cut = false
	c.until(func() bool { return len(held.list) > 0 }, time.Minute, "n2 comes back and starts the child")
	if h.local[id] != old {
		t.Fatalf("%s stopped its instance when n2 came back, before n2's instance ran", holder)
	}
	last := held.list[len(held.list)-1]
	n2.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: id, Instance: last.Instance})
	c.pump()
	c.until(func() bool { return h.local[id] == nil }, 10*time.Second, string(holder)+" stops once n2's instance runs")
}
