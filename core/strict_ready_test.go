package core

import (
	"testing"
	"time"
)

// TestStrictMemorylessRestartWaitsForVoters rebuilds mix strict seed
// 18880 of session 6's long sweep: x's start is acknowledged by b and c
// while a is cut off; c then restarts without memory while b is paused,
// and a comes back. c must not become synced on a's sync alone, nor grant
// a lease: the read quorum {a, c} would miss the write quorum {b, c}, and
// a lookup answered "not found" for the acknowledged child. Before the
// fix c was synced and a lookup at the owner answered not_found. Once b
// wakes, c syncs from it and x is found again.
func TestStrictMemorylessRestartWaitsForVoters(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(1500 * time.Millisecond) // the boot hold
	w.isolate("a", true)
	w.run(time.Second) // b and c see a down
	w.nodes["b"].SetMono(w.mono("b"))
	w.nodes["b"].Request(w.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "x"}}, Start: StartOptions{Await: true, Timeout: 5 * time.Second}})
	w.drain("b")
	w.run(time.Second)
	if !w.acknowledged("b", 1) {
		t.Fatalf("the start of x was not acknowledged: %+v", w.replies["b"])
	}

	// c crashes and comes back as a new incarnation that remembers
	// nothing; b is paused; a's cut heals.
	w.restart("c", 2)
	w.paused["b"] = true
	w.isolate("a", false)
	w.run(3 * time.Second) // well past DownAfter and a voter hold
	if w.nodes["c"].Readiness().Synced {
		t.Fatal("c, restarted without memory, is synced with only a's sync: the read quorum {a, c} misses the write quorum {b, c}")
	}
	for i, at := range []NodeID{"a", "c"} {
		id := uint64(10 + i)
		n := w.nodes[at]
		n.SetMono(w.mono(at))
		n.Request(w.now, Request{ID: id, Op: OpLookup, IDs: []ChildID{"x"}, Consistency: Owner})
		w.drain(at)
	}
	w.run(2 * time.Second)
	for i, at := range []NodeID{"a", "c"} {
		for _, r := range w.replies[at] {
			if r.ID == uint64(10+i) && len(r.Results) == 1 && r.Results[0].Err == Code(ErrNotFound) {
				t.Fatalf("a lookup at %s answered not_found for x, whose start b and c acknowledged", at)
			}
		}
	}

	w.paused["b"] = false
	w.run(3 * time.Second)
	if !w.nodes["c"].Readiness().Synced {
		t.Fatal("c is not synced once b is back")
	}
	if e := w.nodes["c"].Lookup("x"); e == nil {
		t.Fatal("c does not know x once synced")
	}
	if got := w.where("x"); len(got) != 1 {
		t.Fatalf("x runs on %v once b is back, want one node", got)
	}
}

// acknowledged reports whether node's request id was answered with every
// result ok.
func (w *strictWorld) acknowledged(node NodeID, id uint64) bool {
	for _, r := range w.replies[node] {
		if r.ID != id || r.Err != nil || len(r.Results) == 0 {
			continue
		}
		for _, res := range r.Results {
			if res.Err != "" {
				return false
			}
		}
		return true
	}
	return false
}

// restart replaces node with a new incarnation that remembers nothing:
// its children die with the old one, messages to the old one are lost.
func (w *strictWorld) restart(name NodeID, inc uint64) {
	for _, k := range sortedKeysOf(w.open) {
		if r := w.runs[w.open[k]]; r.node == name {
			w.end(k)
		}
	}
	w.events[name] = nil
	w.fence[name] = NoLease
	var keep []Envelope
	for _, env := range w.flight {
		if env.To != name {
			keep = append(keep, env)
		}
	}
	w.flight = keep
	cfg := strictConfig(name, w.names)
	cfg.Incarnation = inc
	n, err := NewNode(cfg, w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	w.nodes[name] = n
}

// TestStrictMemorylessRestartReadyWithVotersUp: with every other voter
// up, a restart without memory is synced as fast as before the n-m+1
// rule (its boot syncs come from every alive peer anyway): here within
// a few message delays (the test world delivers in one 10 ms tick).
func TestStrictMemorylessRestartReadyWithVotersUp(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(1500 * time.Millisecond)
	w.restart("c", 2)
	at := w.now
	for i := 0; i < 100 && !w.nodes["c"].Readiness().Synced; i++ {
		w.step()
	}
	took := w.now.Sub(at)
	if !w.nodes["c"].Readiness().Synced || took > 100*time.Millisecond {
		t.Fatalf("c synced after %v (synced=%v), want within 100 ms with a and b up", took, w.nodes["c"].Readiness().Synced)
	}
	t.Logf("a restart without memory is synced %v after its boot with every voter up", took)
}
