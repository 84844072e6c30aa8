package core

import (
	"testing"
	"time"
)

// TestFullSyncCarriesTheSendersCordon: a node back from a crash learns a
// peer's cordon from the peer's full sync, not only from its next
// heartbeat. n3 is cordoned; n2 restarts with n1 as its only seed, so it
// meets n3 through the full sync n3 sends a member that comes up (not a
// welcome). With n3's heartbeats to n2 dropped, n2 holds n3 cordoned as
// soon as it holds n3 alive: before the full sync carried its sender's
// record, it held n3 uncordoned until a heartbeat came, and gave n3
// children in the meantime (crash seed 126: 30 children, 332 ms).
func TestFullSyncCarriesTheSendersCordon(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	c.nodes["n3"].setCordon(true)
	c.until(func() bool {
		s := c.nodes["n1"].members.members["n3"]
		return s.Cordoned && c.nodes["n3"].ready()
	}, time.Minute, "n3 cordoned, seen by n1")
	c.nodes["n2"].cfg.Seeds = []NodeID{"n1"}
	n2 := c.restart("n2", 2)
	c.drop = func(env Envelope) bool {
		return env.To == "n2" && env.Msg.From == "n3" && env.Msg.Kind == MsgHeartbeat
	}
	c.until(func() bool { return n2.members.alive("n3") }, 10*n2.cfg.Timing.DownAfter, "n2 holds n3 alive")
	if s := n2.members.members["n3"]; !s.Cordoned {
		t.Fatalf("n2 holds n3 alive after its full sync, uncordoned: %+v", s.Member)
	}
	for _, p := range n2.ring.nodes {
		if p == "n3" {
			t.Fatalf("n2's ring %v places children on the cordoned n3", n2.ring.nodes)
		}
	}
}
