package core

import "testing"

// TestForwardTableStaysBounded: a node remembers where it forwarded each
// request (so a retransmission goes the same way) for the last
// maxDoneResults requests only: under endless forwarding the table stays
// at that bound, the newest forwards are kept and the oldest forgotten.
func TestForwardTableStaysBounded(t *testing.T) {
	c := newLockstep(t, 1, fastTiming)
	n := c.nodes["n1"]
	total := 3*maxDoneResults + 7
	for i := 1; i <= total; i++ {
		n.rememberForward(reqKey{origin: "n9", inc: 1, seq: uint64(i)}, "n2")
	}
	if got := len(n.repl.forwarded); got != maxDoneResults {
		t.Fatalf("%d forwards remembered after %d, want the bound %d", got, total, maxDoneResults)
	}
	if _, ok := n.repl.forwarded[reqKey{origin: "n9", inc: 1, seq: uint64(total)}]; !ok {
		t.Fatal("the newest forward is forgotten")
	}
	for _, seq := range []int{1, 2, total - maxDoneResults} {
		if _, ok := n.repl.forwarded[reqKey{origin: "n9", inc: 1, seq: uint64(seq)}]; ok {
			t.Fatalf("forward %d of %d, older than the last %d, is still remembered", seq, total, maxDoneResults)
		}
	}
	if err := n.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
