package core

import (
	"testing"
	"time"
)

// TestGossipRoundIsHandledOnce: with gossip sync a node remembers the
// rounds it handled (origin, incarnation, sequence; maxGossipRefs of
// them) and drops a copy of one that reaches it again by another path:
// it forwards a round once, not once per copy.
func TestGossipRoundIsHandledOnce(t *testing.T) {
	c := newLockstep(t, 5, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Sync = SyncConfig{Kind: Gossip, Interval: 15 * time.Second, FanOut: 1}
	})
	n1 := c.nodes["n1"]
	round := Message{Kind: MsgGossip, Hub: n1.cfg.HubID, From: "n2", Inc: 1, Seq: 9001, Origin: "n2", OriginInc: 1,
		Entries: []Entry{{Spec: ChildSpec{ID: "g"}, Epoch: 1, Holder: "n2", By: "n2"}}, Acks: []NodeID{"n1", "n2"}}
	forwards := func() int {
		k := 0
		for _, env := range n1.Ready().Messages {
			if env.Msg.Kind == MsgGossip && env.Msg.Origin == "n2" && env.Msg.Seq == 9001 {
				k++
			}
		}
		return k
	}
	n1.Step(c.now, round)
	if k := forwards(); k != 1 {
		t.Fatalf("n1 forwarded a new round %d times, want 1 (FanOut 1)", k)
	}
	again := round
	again.From, again.Acks = "n3", []NodeID{"n2", "n3"}
	n1.Step(c.now, again)
	if k := forwards(); k != 0 {
		t.Fatalf("n1 forwarded a round it already handled %d more times", k)
	}
}
