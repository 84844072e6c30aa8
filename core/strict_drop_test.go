package core

import (
	"testing"
	"time"
)

// TestStrictLetGoChildNeedsANewLease: once a node's lease round no longer
// asks for a child (it was stopped here), the node keeps no lease on it, so
// wanting it back needs a new round: the voters may have granted it to
// another node in between. (e2e/netfault saw the old lease reused after a
// non-transitive cut: two processes of one child.)
func TestStrictLetGoChildNeedsANewLease(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	at := w.startOne("a", "x")
	h := w.nodes[at]
	h.SetMono(w.mono(at))
	h.Request(w.now, Request{ID: 2, Op: OpStop, IDs: []ChildID{"x"}})
	w.drain(at)
	lease := h.cfg.strictLease()
	w.run(lease / 4) // a few rounds, well within the old lease
	if got := w.where("x"); len(got) != 0 {
		t.Fatalf("x still runs on %v after its stop", got)
	}
	if v, ok := h.strict.valid["x"]; ok {
		t.Fatalf("%s still holds a lease on x until %d (now %d) after its rounds stopped asking for it", at, v, w.mono(at))
	}
	// A grant of an old round that still listed x, arriving late, does not
	// bring the lease back.
	old := h.strict.rounds[0]
	h.applyGrant("b", old.seq, nil, nil, "")
	h.applyGrant("c", old.seq, nil, nil, "")
	if _, ok := h.strict.valid["x"]; ok {
		t.Fatal("a late grant of an old round revived the lease on x")
	}
}
