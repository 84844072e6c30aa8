package core

import (
	"fmt"
	"testing"
	"time"
)

// TestStrictHolderStateStaysBounded: a strict node sends a lease round
// every heartbeat for as long as it runs, and lets children go; what it
// keeps of its rounds (at most maxLeaseRounds awaiting grants), of the
// children it released or dropped (only while a kept round may still
// answer for them) and, as a voter, of the children's owners (only while
// a holder's grant keeps them) stays bounded however long it runs.
func TestStrictHolderStateStaysBounded(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	var ids []ChildID
	for i := 0; i < 12; i++ {
		ids = append(ids, ChildID(fmt.Sprintf("c%02d", i)))
	}
	w.start("a", ids...)
	w.run(time.Second)
	for _, id := range ids {
		if got := w.where(id); len(got) != 1 {
			t.Fatalf("%s runs on %v, want one node", id, got)
		}
	}
	n := w.nodes["a"]
	n.SetMono(w.mono("a"))
	n.Request(w.now, Request{ID: 2, Op: OpStop, IDs: ids})
	w.drain("a")
	hb := n.cfg.Timing.HeartbeatInterval
	w.run(4 * maxLeaseRounds * hb) // many more rounds than are kept
	for _, name := range w.names {
		s := w.nodes[name].strict
		if len(s.rounds) > maxLeaseRounds {
			t.Errorf("%s keeps %d lease rounds after %d heartbeats, want at most %d", name, len(s.rounds), 4*maxLeaseRounds, maxLeaseRounds)
		}
		if len(s.owner) > 0 {
			t.Errorf("%s, as a voter, still names owners of %d children nobody has asked for in %d heartbeats", name, len(s.owner), 4*maxLeaseRounds)
		}
		if len(s.released)+len(s.dropped) > 0 {
			t.Errorf("%s still remembers %d released and %d dropped children %d heartbeats after they stopped (older than every kept round)",
				name, len(s.released), len(s.dropped), 4*maxLeaseRounds)
		}
	}
	for _, id := range ids {
		if got := w.where(id); len(got) != 0 {
			t.Fatalf("%s runs on %v after its stop", id, got)
		}
	}
}
