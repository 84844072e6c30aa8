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
	r := newRivalStarts(t, "a", "c", "b")
	w, x := r.w, r.x
	// c starts x, stops it and starts it again; b's news never reaches a.
	for _, req := range []Request{r.start(11), {ID: 12, Op: OpStop, IDs: []ChildID{x}, Stop: StopOptions{Await: true}}, r.start(13)} {
		if rep := r.request("c", req); !w.acknowledged("c", req.ID) {
			t.Fatalf("c's request %d on %s (op %v): %+v", req.ID, x, req.Op, rep)
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
	r.secondStart("a", 21, "c's start (epoch 3)")
}

// TestStrictStartMeetsOlderRivalStart: the same two starts in the other
// order at the peer in the middle. a starts x at epoch 1 and answers ok;
// c, which never heard of x but whose epoch floor is 7 (it collected a
// tombstone of another child at epoch 7, epochfloor.go, and its digests
// had not reached a), starts it at epoch 8. b holds a's live epoch 1, an
// older generation, as it would if c had seen a stop of it that b missed,
// and acknowledged c's round: after the heal x moved to c (the first node
// of its ring) and c answered ok too. A start whose owner saw the end of
// the generation a peer holds live is refused as well (its answer is
// unknown): the peer missed that stop's round, which every peer the owner
// saw alive acknowledged, so it was down or cut off from the owner then.
func TestStrictStartMeetsOlderRivalStart(t *testing.T) {
	r := newRivalStarts(t, "c", "a", "b")
	w, x := r.w, r.x
	if rep := r.request("a", r.start(11)); !w.acknowledged("a", 11) {
		t.Fatalf("a's start of %s: %+v", x, rep)
	}
	if on := w.where(x); len(on) != 1 || on[0] != "a" {
		t.Fatalf("x runs on %v, want a", on)
	}
	w.nodes["c"].raiseEpochFloor(7)
	if e, ok := w.nodes["c"].reg.get(x); ok {
		t.Fatalf("c holds x (%+v) before its start: the setup failed", e)
	}
	r.secondStart("c", 21, "a's start (epoch 1)")
}

// rivalStarts is a three-voter strict world cut in two overlapping
// halves around the middle node (the third of order): x's ring order is
// first, second, middle, so first and second each own x in their own
// view, and first owns it after the heal. first starts x second; until
// the heal, what anyone sends it about x is lost.
type rivalStarts struct {
	t        *testing.T
	w        *strictWorld
	x        ChildID
	blind    NodeID // the ring's first node: it starts x second, blind to the first start
	withhold bool
}

func newRivalStarts(t *testing.T, first, second, middle NodeID) *rivalStarts {
	w := newStrictWorld(t, map[NodeID]float64{first: 1, second: 1, middle: 1})
	for _, n := range w.nodes {
		n.cfg.Timing.RequestTimeout = 20 * time.Second // the second start's answer comes after the heal
	}
	w.run(1500 * time.Millisecond) // the boot hold
	r := &rivalStarts{t: t, w: w, withhold: true}
	for i := 0; i < 1000 && r.x == ""; i++ {
		id := ChildID(fmt.Sprintf("x%d", i))
		if slices.Equal(w.nodes[middle].BelongsTo(id, 3), []NodeID{first, second, middle}) {
			r.x = id
		}
	}
	if r.x == "" {
		t.Fatalf("no child id whose ring order is %s, %s, %s", first, second, middle)
	}
	// The ring's first node starts x second and gets it after the heal.
	r.blind = first
	w.cut[[2]NodeID{first, second}] = true
	for i := 0; i < 100; i++ { // the two see each other down; middle sees both
		r.step()
	}
	if o := w.nodes[first].ownerFor(r.x, nil); o != first {
		t.Fatalf("x's owner in %s's view is %s", first, o)
	}
	if o := w.nodes[second].ownerFor(r.x, nil); o != second {
		t.Fatalf("x's owner in %s's view is %s", second, o)
	}
	return r
}

// step advances the world a tick, losing what is withheld.
func (r *rivalStarts) step() {
	r.w.step()
	r.filter()
}

func (r *rivalStarts) filter() {
	if !r.withhold {
		return
	}
	var keep []Envelope
	for _, env := range append(r.w.flight, r.w.next...) {
		if env.To == r.blind && mentions(env.Msg, r.x) {
			continue
		}
		keep = append(keep, env)
	}
	r.w.flight, r.w.next = keep, nil
}

func (r *rivalStarts) start(id uint64) Request {
	return Request{ID: id, Op: OpStart, Specs: []ChildSpec{{ID: r.x}}, Start: StartOptions{Await: true}}
}

// send hands req to node at.
func (r *rivalStarts) send(at NodeID, req Request) {
	n := r.w.nodes[at]
	n.SetMono(r.w.mono(at))
	n.Request(r.w.now, req)
	r.w.drain(at)
	r.filter()
}

// reply steps until node at answered request id (the overlap check runs
// every tick) and returns the answer.
func (r *rivalStarts) reply(at NodeID, id uint64, within time.Duration) Reply {
	r.t.Helper()
	for deadline := r.w.now.Add(within); r.w.now < deadline; {
		r.step()
		for _, rep := range r.w.replies[at] {
			if rep.ID == id {
				return rep
			}
		}
	}
	r.t.Fatalf("no reply to request %d at %s", id, at)
	return Reply{}
}

func (r *rivalStarts) request(at NodeID, req Request) Reply {
	r.t.Helper()
	r.send(at, req)
	return r.reply(at, req.ID, 30*time.Second)
}

// secondStart has the blind node start x while first (named in the
// failure) is acknowledged, heals the cut a second later and asserts
// that the start is not answered ok: two starts of x, no stop between.
func (r *rivalStarts) secondStart(at NodeID, id uint64, first string) {
	r.t.Helper()
	r.send(at, r.start(id))
	for i := 0; i < 100; i++ {
		r.step()
	}
	for k := range r.w.cut {
		delete(r.w.cut, k)
	}
	r.withhold = false
	got := r.reply(at, id, 25*time.Second)
	if len(got.Results) != 1 {
		r.t.Fatalf("%s's start of %s: %+v", at, r.x, got)
	}
	res := got.Results[0]
	if got.Err == nil && res.Err == "" {
		r.t.Fatalf("%s's start of %s answered ok (epoch %d, on %v) after %s was acknowledged with no stop since: two starts both acknowledged", at, r.x, res.Epoch, res.Nodes, first)
	}
	if res.Err != Code(ErrTimeout) && res.Err != Code(ErrAlreadyStarted) {
		r.t.Fatalf("%s's start of %s: %v, want an unknown outcome or already started", at, r.x, res.Err)
	}
	r.t.Logf("%s's start of %s: %v (%s)", at, r.x, res.Err, res.Detail)
	r.w.run(3 * time.Second)
	if on := r.w.where(r.x); len(on) != 1 {
		r.t.Fatalf("%s runs on %v after the heal, want one node", r.x, on)
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
