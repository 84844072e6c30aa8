package core

import (
	"testing"
	"time"
)

// TestStrictIsolatedOwnerAcknowledgesNothing: a stop reaches a child's
// owner just after a cut isolated it, before it noticed. No other node
// can learn the stop, so the owner must not answer it "ok": the majority
// side takes the child over once the lease expires, and an acknowledged
// stop followed by the child running again is a resurrection. Before,
// the tick that declared the owner's peers down left its strict quorum
// stale for the rest of the tick, and the same tick's replication retry,
// no longer waiting for the down peers, answered "ok" (partition strict
// seed 548 of the long sweep).
func TestStrictIsolatedOwnerAcknowledgesNothing(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(1500 * time.Millisecond) // the boot hold
	at := w.startOne("a", "x")
	h := w.nodes[at]
	w.isolate(at, true)
	w.run(50 * time.Millisecond) // cut, not yet noticed
	if h.Partitioned() {
		t.Fatalf("%s noticed the cut within 50 ms; the test needs the window before", at)
	}
	h.SetMono(w.mono(at))
	h.Request(w.now, Request{ID: 7, Op: OpStop, IDs: []ChildID{"x"}, Stop: StopOptions{Await: true, Timeout: 10 * time.Second}})
	w.drain(at)
	w.run(3 * time.Second)
	answered := false
	for _, r := range w.replies[at] {
		if r.ID != 7 {
			continue
		}
		answered = true
		if r.Err == nil && len(r.Results) == 1 && r.Results[0].Err == "" {
			t.Fatalf("the isolated owner %s acknowledged the stop of x: %+v", at, r.Results[0])
		}
		t.Logf("the isolated owner answered: err=%v results=%+v", r.Err, r.Results)
	}
	if !answered {
		t.Fatalf("%s never answered the stop", at)
	}
}

// TestStrictRoundNeedsMajorityOfVoters: a round acknowledged by fewer
// than a majority of the voters (the peers seen alive changed while it
// ran) is short; non-voters' acknowledgements do not count.
func TestStrictRoundNeedsMajorityOfVoters(t *testing.T) {
	voters := []NodeID{"a", "b", "c", "d", "e"}
	n, err := NewNode(strictConfig("a", voters), Instant(1000*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		acked []NodeID
		short bool
	}{
		{nil, true},
		{[]NodeID{"b"}, true},
		{[]NodeID{"b", "x", "y"}, true}, // x, y do not vote
		{[]NodeID{"b", "c"}, false},
		{[]NodeID{"e", "d", "b"}, false},
	} {
		op := &ownerOp{replSeq: 1}
		for _, p := range c.acked {
			n.noteAck(op, p)
			n.noteAck(op, p) // a retransmitted ack counts once
		}
		if got := n.strictShortOfMajority(op); got != c.short {
			t.Errorf("acked by a and %v: short %v, want %v", c.acked, got, c.short)
		}
	}
	if n.strictShortOfMajority(&ownerOp{}) {
		t.Error("an op that sent no round is short of a majority")
	}
}
