package core

import (
	"fmt"
	"testing"
	"time"
)

// TestStrictGrantBeforeStopNotUsedAfterItsAck: a lease a voter grants
// just before it learns a stop must not start the child after the stop is
// acknowledged. a runs x; a–b are cut (c hears both), so b, the next
// node on x's ring in its view, asks for x and c flags it while a keeps
// it. a stops x; its tombstone to c is delayed, and a's next round (x
// gone) reaches c first: c no longer flags x, still holds it active and
// grants it to b. Then the tombstone arrives and c acknowledges it, a
// majority with a: the stop answers ok while b holds a majority lease on
// x (its own grant and c's) and starts it — a resurrection, unless c
// refuses to acknowledge a stop of a child it has granted to another
// holder (the stop's outcome is then unknown).
func TestStrictGrantBeforeStopNotUsedAfterItsAck(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(1500 * time.Millisecond) // the boot hold
	var ids []ChildID
	for i := 0; i < 30; i++ {
		ids = append(ids, ChildID(fmt.Sprintf("x%d", i)))
	}
	w.start("a", ids...)
	w.run(time.Second)
	// From the cut on, b's news about the children (its takeover
	// versions, its claims) is held back on the way to c.
	var x ChildID
	var heldA, heldB []Envelope
	hold := func() {
		var keep []Envelope
		for _, env := range append(w.flight, w.next...) {
			switch {
			case env.To == "c" && env.Msg.From == "b" && (len(env.Msg.Entries) > 0 || len(env.Msg.Claims) > 0):
				heldB = append(heldB, env)
			case x != "" && env.To == "c" && env.Msg.From == "a" && (env.Msg.Kind == MsgReplicate || env.Msg.Kind == MsgClaims) && carriesStop(env.Msg, x):
				heldA = append(heldA, env)
			default:
				keep = append(keep, env)
			}
		}
		w.flight, w.next = keep, nil
	}
	w.cut[[2]NodeID{"a", "b"}] = true
	for i := 0; i < 100; i++ { // a and b see each other down
		w.step()
		hold()
	}
	for _, id := range ids {
		if on := w.where(id); len(on) == 1 && on[0] == "a" {
			if _, want := w.nodes["b"].strict.want[id]; want {
				x = id
				break
			}
		}
	}
	if x == "" {
		t.Fatal("no child runs on a that b wants once a is cut off from it")
	}

	// a stops x; its tombstone to c is held back while a's instance
	// exits and a's rounds stop listing x.
	a := w.nodes["a"]
	a.SetMono(w.mono("a"))
	a.Request(w.now, Request{ID: 9, Op: OpStop, IDs: []ChildID{x}, Stop: StopOptions{Await: true, Timeout: 10 * time.Second}})
	w.drain("a")
	hold()
	for i := 0; i < 60; i++ {
		w.step()
		hold()
	}
	if len(heldA) == 0 {
		t.Fatal("no tombstone of x was sent from a to c")
	}
	t.Logf("x runs on %v; b's lease on x until %v", w.where(x), w.nodes["b"].strict.valid[x])
	w.flight = append(w.flight, heldA...)
	w.step()
	w.flight = append(w.flight, heldB...)
	var ackAt Instant
	for i := 0; i < 200; i++ {
		w.step()
		if ackAt == 0 && w.acknowledged("a", 9) {
			ackAt = w.now
		}
	}
	if ackAt == 0 {
		t.Logf("the stop of %s was not acknowledged: %+v", x, w.replies["a"])
		return
	}
	for _, r := range w.runs {
		if r.id == x && (r.to == -1 || r.to > ackAt) && r.node != "a" {
			t.Fatalf("%s ran on %s from %s to %s, after its stop was acknowledged at %s", x, r.node,
				time.Duration(r.from-Instant(1000*time.Second)), time.Duration(r.to-Instant(1000*time.Second)), time.Duration(ackAt-Instant(1000*time.Second)))
		}
	}
}

// carriesStop reports whether m carries a tombstone of id.
func carriesStop(m Message, id ChildID) bool {
	for i := range m.Entries {
		if m.Entries[i].Spec.ID == id && m.Entries[i].Stopped {
			return true
		}
	}
	return false
}
