package core

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestStrictStartMeetsLaterRivalStart drives the hole a reading of
// conflict.go left open: a hashed start acknowledged by a peer that holds
// a later live version of the child from a rival owner, one that does not
// descend from the start. Three voters, a–c cut, b hears both; x's ring
// order is a, c, b, so a owns x in its view and c in its own. c starts x,
// stops it and starts it again (epoch 3); b, in the middle, acknowledges
// each round, but its news about x never reaches a. a, which knows
// nothing of x, starts it at epoch 1: b holds c's live epoch 3 — a later
// version of the same (no) mapping, so it passed as "a takeover of the
// start" and b acknowledged a's round. a then waits for its lease, which
// b refuses while c keeps x; the cut heals before a's start times out, x
// moves to a (the first node of its ring), a's instance starts and a
// answered its start ok: two starts of x answered ok with no stop between
// them, an illegal history (c's start answered ok long before a's was
// issued).
//
// Such a version at b cannot descend from a's start: b received it before
// a's round, and a takeover of a start is taken by a node that learned
// the start, in a round or a sync that left its owner with or after the
// round to b. Only in a race (the round to b delayed past another copy,
// a takeover and its push) can b meet a descendant first; the refusal then
// costs the start its answer (unknown, ErrTimeout), never a wrong one. So
// a peer refuses a start that meets any later version (conflict.go rival).
func TestStrictStartMeetsLaterRivalStart(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	for _, n := range w.nodes {
		n.cfg.Timing.RequestTimeout = 20 * time.Second // a's answer may come after the heal
	}
	w.run(1500 * time.Millisecond) // the boot hold
	var x ChildID
	for i := 0; i < 1000 && x == ""; i++ {
		id := ChildID(fmt.Sprintf("x%d", i))
		if slices.Equal(w.nodes["b"].BelongsTo(id, 3), []NodeID{"a", "c", "b"}) {
			x = id
		}
	}
	if x == "" {
		t.Fatal("no child id whose ring order is a, c, b")
	}
	// From the cut on, what b (or anyone) sends a about x is lost, until
	// the heal.
	withhold := true
	filter := func() {
		if !withhold {
			return
		}
		var keep []Envelope
		for _, env := range append(w.flight, w.next...) {
			if env.To == "a" && mentions(env.Msg, x) {
				continue
			}
			keep = append(keep, env)
		}
		w.flight, w.next = keep, nil
	}
	w.cut[[2]NodeID{"a", "c"}] = true
	for i := 0; i < 100; i++ { // a and c see each other down; b sees both
		w.step()
		filter()
	}
	if w.nodes["a"].ownerFor(x, nil) != "a" || w.nodes["c"].ownerFor(x, nil) != "c" {
		t.Fatalf("x's owner is %s in a's view and %s in c's, want a and c", w.nodes["a"].ownerFor(x, nil), w.nodes["c"].ownerFor(x, nil))
	}
	request := func(at NodeID, req Request) Reply {
		t.Helper()
		n := w.nodes[at]
		n.SetMono(w.mono(at))
		n.Request(w.now, req)
		w.drain(at)
		filter()
		for deadline := w.now.Add(30 * time.Second); w.now < deadline; {
			w.step() // the overlap check runs every tick
			filter()
			for _, r := range w.replies[at] {
				if r.ID == req.ID {
					return r
				}
			}
		}
		t.Fatalf("no reply to request %d at %s", req.ID, at)
		return Reply{}
	}
	start := func(id uint64) Request {
		return Request{ID: id, Op: OpStart, Specs: []ChildSpec{{ID: x}}, Start: StartOptions{Await: true}}
	}
	for _, req := range []Request{start(11), {ID: 12, Op: OpStop, IDs: []ChildID{x}, Stop: StopOptions{Await: true}}, start(13)} {
		if r := request("c", req); !w.acknowledged("c", req.ID) {
			t.Fatalf("c's request %d on %s (op %v): %+v", req.ID, x, req.Op, r)
		}
	}
	if on := w.where(x); len(on) != 1 || on[0] != "c" {
		t.Fatalf("x runs on %v, want c", on)
	}
	if e, ok := w.nodes["a"].reg.get(x); ok {
		t.Fatalf("a holds x (%+v) before its start: the setup failed", e)
	}
	if e, ok := w.nodes["b"].reg.get(x); !ok || e.Stopped || e.Epoch != 3 || e.By != "c" {
		t.Fatalf("b holds %+v, want c's live epoch 3", e)
	}

	// a starts x; the cut heals a second later, while a waits.
	a := w.nodes["a"]
	a.SetMono(w.mono("a"))
	a.Request(w.now, start(21))
	w.drain("a")
	filter()
	for i := 0; i < 100; i++ {
		w.step()
		filter()
	}
	w.cut[[2]NodeID{"a", "c"}] = false
	withhold = false
	var got *Reply
	for deadline := w.now.Add(25 * time.Second); got == nil && w.now < deadline; {
		w.step()
		for i, r := range w.replies["a"] {
			if r.ID == 21 {
				got = &w.replies["a"][i]
			}
		}
	}
	if got == nil || len(got.Results) != 1 {
		t.Fatalf("a's start of %s: %+v", x, got)
	}
	res := got.Results[0]
	if got.Err == nil && res.Err == "" {
		t.Fatalf("a's start of %s answered ok (epoch %d, on %v) after c's start (epoch 3) was acknowledged with no stop since: two starts both acknowledged", x, res.Epoch, res.Nodes)
	}
	if res.Err != Code(ErrTimeout) && res.Err != Code(ErrAlreadyStarted) {
		t.Fatalf("a's start of %s: %v, want an unknown outcome or already started", x, res.Err)
	}
	w.run(3 * time.Second)
	if on := w.where(x); len(on) != 1 {
		t.Fatalf("x runs on %v after the heal, want one node", on)
	}
}

// mentions reports whether m carries a version or a claim of id.
func mentions(m Message, id ChildID) bool {
	for i := range m.Entries {
		if m.Entries[i].Spec.ID == id {
			return true
		}
	}
	for i := range m.Claims {
		if m.Claims[i].ID == id {
			return true
		}
	}
	return false
}
