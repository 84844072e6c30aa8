package core

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestJoinCarriesTheJoinersCordon: every peer takes a node's cordon flag
// from the node's own member record (cordon.go), and a join carries that
// record: a cordoned node that joins (through a seed it lost contact
// with) is cordoned for the seed from the join on, and owns nothing on
// its ring, before any heartbeat of it arrives.
func TestJoinCarriesTheJoinersCordon(t *testing.T) {
	cfg := DefaultConfig("n1")
	fastTiming(&cfg)
	cfg.Incarnation = 1
	now := Instant(1000 * time.Second)
	n1, err := NewNode(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	n1.Ready()
	n1.Step(now, Message{Kind: MsgJoin, Hub: cfg.HubID, From: "n2", Inc: 1,
		Members: []Member{{Name: "n2", Incarnation: 1, Status: StatusAlive, Addr: "10.0.0.2:7000", Cordoned: true, CordonVer: 1}}})
	if !inView(n1, "n2") {
		t.Fatal("the joining n2 is not in n1's view")
	}
	if got := n1.Cordoned(); !slices.Equal(got, []NodeID{"n2"}) {
		t.Fatalf("n1 takes the cordoned joiner n2 as cordoned %v, want [n2]", got)
	}
	for i := 0; i < 200; i++ {
		if id := ChildID(fmt.Sprintf("c%d", i)); n1.ownerOf(id) != "n1" {
			t.Fatalf("child %s owned by %s: a cordoned joiner is on n1's ring", id, n1.ownerOf(id))
		}
	}
}
