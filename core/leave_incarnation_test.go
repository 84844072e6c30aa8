package core

import (
	"slices"
	"testing"
)

// TestLeaveOfANewerIncarnationIsFinal: a member that restarted (a newer
// incarnation this node has not heard of yet) and then left gracefully
// stays left when a message its new incarnation sent before the leave
// arrives late (reordering), or gossip says that incarnation is alive:
// the leave is recorded at the incarnation it was sent with, so stale
// news does not bring a departed node back into the view.
func TestLeaveOfANewerIncarnationIsFinal(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	n1 := c.nodes["n1"]
	hub := n1.cfg.HubID
	n1.Step(c.now, Message{Kind: MsgLeave, Hub: hub, From: "n2", Inc: 2})
	c.pump()
	if slices.Contains(n1.View(), "n2") {
		t.Fatalf("n2 left but n1's view is %v", n1.View())
	}
	for _, stale := range []Message{
		{Kind: MsgHeartbeat, Hub: hub, From: "n3", Inc: 1, Members: []Member{{Name: "n3", Incarnation: 1, Status: StatusAlive}, {Name: "n2", Incarnation: 2, Status: StatusAlive}}},
		{Kind: MsgHeartbeat, Hub: hub, From: "n2", Inc: 2, Members: []Member{{Name: "n2", Incarnation: 2, Status: StatusAlive}}},
	} {
		n1.Step(c.now, stale)
		c.pump()
		if slices.Contains(n1.View(), "n2") {
			t.Fatalf("a heartbeat from %s saying n2's incarnation 2 is alive, older than its leave, brought it back: view %v", stale.From, n1.View())
		}
	}
}
