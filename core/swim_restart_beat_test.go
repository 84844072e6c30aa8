package core

import "testing"

// TestSwimRestartStartsAtBeatZero: a member's Beat orders news within an
// incarnation, and a restart begins a new one with no news about it: a
// member known at Beat 3 that restarts is declared down by news of its new
// incarnation at Beat 0, the Beat its own record carries.
func TestSwimRestartStartsAtBeatZero(t *testing.T) {
	e := swimEnv(t, 3)
	n1 := e.nodes["n01"]
	n1.swimApply(Member{Name: "n03", Incarnation: 1, Status: StatusAlive, Beat: 3})
	if got := n1.members.members["n03"].Beat; got != 3 {
		t.Fatalf("n03's beat %d after news at beat 3", got)
	}
	// n03 restarts (incarnation 2) and pings n01 directly.
	n1.Step(e.now, Message{Kind: MsgPing, Hub: "phub", From: "n03", Inc: 2, Seq: 5,
		Members: []Member{{Name: "n03", Incarnation: 2, Status: StatusAlive}}})
	if !inView(n1, "n03") {
		t.Fatal("the restarted n03 is not in n01's view after pinging it")
	}
	// n02 declares the new incarnation down at Beat 0.
	n1.Step(e.now, Message{Kind: MsgPing, Hub: "phub", From: "n02", Inc: 1, Seq: 6,
		Members: []Member{{Name: "n02", Incarnation: 1, Status: StatusAlive}, {Name: "n03", Incarnation: 2, Status: StatusDown}}})
	if inView(n1, "n03") {
		t.Fatalf("news that n03's new incarnation is down at beat 0 lost to the old incarnation's beat (n01 holds beat %d)", n1.members.members["n03"].Beat)
	}
}
