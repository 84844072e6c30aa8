package core

import (
	"errors"
	"testing"
	"time"
)

// TestResetClusterSizeRegainsQuorumAtOnce: a node cut off from a majority
// of the cluster size it has seen serves again as soon as the size is
// reset for a planned downsize (MajorityQuorum's reset_cluster_size): the
// reset itself re-evaluates quorum, fires the quorum hook and lets the next
// request through, before any tick.
func TestResetClusterSizeRegainsQuorumAtOnce(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 3}
	})
	c.drop = func(env Envelope) bool { return env.To == "n1" || env.Msg.From == "n1" }
	n1 := c.nodes["n1"]
	c.until(n1.Partitioned, time.Minute, "n1 alone without a majority of 3")
	c.pump()
	hooks := len(c.hooks["n1"])

	n1.ResetClusterSize(c.now, 1)
	if n1.Partitioned() {
		t.Fatal("n1 still partitioned right after ResetClusterSize(1)")
	}
	n1.Request(c.now, Request{ID: 7, Op: OpStart, Specs: []ChildSpec{{ID: "solo"}}})
	rd := n1.Ready()
	if len(rd.Replies) != 1 || rd.Replies[0].ID != 7 {
		t.Fatalf("replies %+v, want one to request 7", rd.Replies)
	}
	if err := rd.Replies[0].Err; errors.Is(err, ErrPartitioned) {
		t.Fatalf("a start right after the reset was refused: %v", err)
	}
	regained := false
	for _, h := range append(c.hooks["n1"][hooks:], rd.Hooks...) {
		regained = regained || h.Detail == "quorum_regained"
	}
	if !regained {
		t.Fatal("no quorum_regained hook after the reset")
	}
}
