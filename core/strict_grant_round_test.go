package core

import (
	"slices"
	"testing"
	"time"
)

// TestStrictGrantCountsOnlyForItsOwnRound: a voter's grant leases exactly
// the children listed in the round it answers. A late or duplicated grant
// of a round sent before the node wanted a child (so the voter never saw
// the child in it) must not start that child, even while a newer round
// that does list it is in flight: the voters may be granting it to another
// node at that moment.
func TestStrictGrantCountsOnlyForItsOwnRound(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	w.start("a", "x")
	// Step until some node wants x and has sent a round listing it, with
	// an earlier round (not listing x) still kept: two rounds in flight.
	var h NodeID
	var before, asking *leaseRound
	for i := 0; i < 100 && h == ""; i++ {
		w.step()
		for _, name := range w.names {
			s := w.nodes[name].strict
			if _, want := s.want["x"]; !want || len(s.rounds) < 2 {
				continue
			}
			last, prev := s.rounds[len(s.rounds)-1], s.rounds[len(s.rounds)-2]
			if slices.Contains(last.ids, "x") && !slices.Contains(prev.ids, "x") {
				h, before, asking = name, prev, last
			}
		}
	}
	if h == "" {
		t.Fatal("no node sent a lease round asking for x within 100 ticks")
	}
	n := w.nodes[h]
	if len(w.where("x")) != 0 {
		t.Fatalf("x runs on %v before any voter answered the round asking for it", w.where("x"))
	}
	// Every other voter answers the earlier round (again): a majority
	// granted that round, none of them granted x.
	for _, v := range w.names {
		if v != h {
			n.SetMono(w.mono(h))
			n.applyGrant(v, before.seq, nil, nil, "")
		}
	}
	n.Tick(w.now) // the node acts on what it holds (the voters' answers to the round asking for x are still in flight)
	w.drain(h)
	if got := w.where("x"); len(got) != 0 {
		t.Fatalf("x started on %v on grants of round %d, which did not list it (round %d asks for it)", got, before.seq, asking.seq)
	}
	if until, ok := n.strict.valid["x"]; ok {
		t.Fatalf("%s holds a lease on x until %d from grants of a round that did not list it", h, until)
	}
	// The round that asks for x, once answered, does start it: once.
	w.run(time.Second)
	if got := w.where("x"); len(got) != 1 {
		t.Fatalf("x runs on %v after its round was answered, want one node", got)
	}
}
