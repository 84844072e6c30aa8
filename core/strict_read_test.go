package core

import (
	"fmt"
	"testing"
	"time"
)

// TestStrictIsolatedOwnerAnswersNoNotFound: a lookup reaches a child's
// owner just after a cut isolated it, before it noticed. Its registry
// holds no version of the child, but no peer confirms that read: another
// owner (a non-transitive cut gives two) may have started the child with
// a majority's acknowledgement meanwhile. So the isolated owner must not
// answer a definite "not found"; before, a lookup's errors were exempt
// from the unknown outcome of a round that lost quorum (nontransitive
// strict seed 24428 of the long sweep: a lookup answered not-found after
// an acknowledged start, an illegal history).
func TestStrictIsolatedOwnerAnswersNoNotFound(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(1500 * time.Millisecond) // the boot hold
	h := w.nodes["a"]
	var id ChildID
	for i := 0; id == ""; i++ {
		if c := ChildID(fmt.Sprintf("y%d", i)); h.ownerOf(c) == "a" {
			id = c
		}
	}
	w.isolate("a", true)
	w.run(50 * time.Millisecond) // cut, not yet noticed
	if h.Partitioned() {
		t.Fatal("a noticed the cut within 50 ms; the test needs the window before")
	}
	h.SetMono(w.mono("a"))
	h.Request(w.now, Request{ID: 7, Op: OpLookup, IDs: []ChildID{id}, Consistency: Owner, Timeout: 10 * time.Second})
	w.drain("a")
	w.run(3 * time.Second)
	answered := false
	for _, r := range w.replies["a"] {
		if r.ID != 7 {
			continue
		}
		answered = true
		if r.Err == nil && len(r.Results) == 1 && r.Results[0].Err == Code(ErrNotFound) {
			t.Fatalf("the isolated owner answered a definite not-found for %s: %+v", id, r.Results[0])
		}
		t.Logf("the isolated owner answered: err=%v results=%+v", r.Err, r.Results)
	}
	if !answered {
		t.Fatal("a never answered the lookup")
	}
}
