package core

import (
	"fmt"
	"testing"
	"time"
)

// TestReplicaKeepsRunningWhenItsHolderFails: with replication factor 2, when
// the node that started a child (its holder) fails, the other replica —
// now first in the child's placement — keeps running the same instance at
// the same epoch: it is not restarted as a takeover (its state would be
// lost for nothing), and the registry still names one live instance.
func TestReplicaKeepsRunningWhenItsHolderFails(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Redundancy.Factor = 2
	})
	var id ChildID
	for i := 0; i < 1000 && id == ""; i++ {
		x := ChildID(fmt.Sprintf("r-%d", i))
		if pl := c.nodes["n1"].ring.successors(nil, x, 2); pl[0] == "n1" && pl[1] == "n2" {
			id = x
		}
	}
	if id == "" {
		t.Fatal("no child placed on n1 then n2")
	}
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	if rep.Err != nil || len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("start of %s: %+v", id, rep)
	}
	c.runFor(time.Second)
	local := func() *LocalChild {
		for _, lc := range c.nodes["n2"].WhichChildrenLocal().Children {
			if lc.ID == id {
				return &lc
			}
		}
		return nil
	}
	before := local()
	if before == nil {
		t.Fatalf("%s's replica does not run on n2", id)
	}
	c.drop = func(env Envelope) bool { return env.To == "n1" || env.Msg.From == "n1" }
	n2 := c.nodes["n2"]
	c.until(func() bool { return !n2.members.alive("n1") }, time.Minute, "n2 sees n1 down")
	c.runFor(2 * time.Second)
	after := local()
	if after == nil || after.Instance != before.Instance || after.Epoch != before.Epoch {
		t.Fatalf("n2's replica of %s was %+v before n1 failed and is %+v after, want the same instance", id, *before, after)
	}
}
