package core

import (
	"fmt"
	"testing"
	"time"
)

// TestStrictRefusedRoundStaysRefused rebuilds mix strict seed 14704 of the
// long sweep. a and b are cut apart, c hears both. a starts x (a owns it in
// its view), c acknowledges: ok e1. b, whose registry never heard of x,
// owns it in its own view; once a is cut off from c too and its lease has
// run out, a start of x at b is a fresh start of e1. c refuses b's round
// (another owner's start of e1) but applies it, and b's version wins the
// merge there; the refusal is lost. Before the fix c acknowledged b's
// retransmission ("the same version again") and b answered ok e1: two
// acknowledged starts of e1 with no stop between them.
func TestStrictRefusedRoundStaysRefused(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	w.cut[[2]NodeID{"a", "b"}] = true
	w.run(time.Second) // a and b see each other down; c sees both
	x := contestedChild(t, w)

	first := awaitStart(t, w, "a", 1, x, nil)
	if first.Err != "" || first.Epoch != 1 {
		t.Fatalf("a's start of %s: %+v, want ok e1", x, first)
	}
	if !w.nodes["c"].reg.isActive(x) || w.nodes["b"].reg.has(x) {
		t.Fatalf("c should hold %s and b should not", x)
	}
	w.isolate("a", true)
	w.run(3 * time.Second) // a fences x; c's hold of a's grant ends
	if on := w.where(x); len(on) != 0 {
		t.Fatalf("%s still runs on %v", x, on)
	}

	lost := 0
	dropRefusal := func(env Envelope) bool {
		m := env.Msg
		if lost == 0 && m.Kind == MsgReplicateAck && m.From == "c" && env.To == "b" && m.Err == errStaleVersion {
			lost++
			return true
		}
		return false
	}
	second := awaitStart(t, w, "b", 2, x, dropRefusal)
	if lost != 1 {
		t.Fatalf("c never refused b's round (b's start: %+v): the scenario did not happen", second)
	}
	if second.Err == "" {
		t.Fatalf("b's start of %s answered ok on %v e%d after a's acknowledged start of e1: two starts without a stop", x, second.Nodes, second.Epoch)
	}
	if second.Err != Code(ErrTimeout) {
		t.Fatalf("b's start of %s: %v, want an unknown outcome", x, second.Err)
	}
}

// contestedChild returns a child id that a owns in its view and b in its
// own (the views of a cut between them).
func contestedChild(t *testing.T, w *strictWorld) ChildID {
	t.Helper()
	for i := 0; i < 1000; i++ {
		id := ChildID(fmt.Sprintf("x%d", i))
		if w.nodes["a"].ownerFor(id, nil) == "a" && w.nodes["b"].ownerFor(id, nil) == "b" && w.nodes["c"].ownerFor(id, nil) == "a" {
			return id
		}
	}
	t.Fatal("no child id owned by a in a's and c's views and by b in b's")
	return ""
}

// awaitStart starts id at node at with await and steps the world until
// the answer, dropping the messages drop names (nil: none).
func awaitStart(t *testing.T, w *strictWorld, at NodeID, reqID uint64, id ChildID, drop func(Envelope) bool) ChildResult {
	t.Helper()
	n := w.nodes[at]
	n.SetMono(w.mono(at))
	n.Request(w.now, Request{ID: reqID, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	w.drain(at)
	for deadline := w.now.Add(10 * time.Second); w.now < deadline; {
		if drop != nil {
			kept := w.flight[:0]
			for _, env := range w.flight {
				if !drop(env) {
					kept = append(kept, env)
				}
			}
			w.flight = kept
		}
		w.step()
		for _, r := range w.replies[at] {
			if r.ID == reqID {
				if len(r.Results) != 1 {
					t.Fatalf("start at %s: %+v", at, r)
				}
				return r.Results[0]
			}
		}
	}
	t.Fatalf("no answer to the start at %s", at)
	return ChildResult{}
}

// TestContestedVersionStaysRefused: once a peer took a version in place
// of a rival (by a refused round or by anti-entropy), every round that
// writes that version is refused there; a version that replaced no rival
// is acknowledged as often as it comes.
func TestContestedVersionStaysRefused(t *testing.T) {
	start, stop := versionOfW, stoppedVersionOfW
	for _, c := range []struct {
		name      string
		have      Entry
		write     Entry
		gossiped  bool // the write reaches the peer by anti-entropy first
		contested bool
	}{
		{"a retransmitted start that won the tie against another owner's start", start(1, "n1"), start(1, "n2"), false, true},
		{"a start that came by anti-entropy first, over another owner's start", start(1, "n1"), start(1, "n2"), true, true},
		{"a retransmitted stop past another stop (seed 15908's shape)", stop(2, "n3"), stop(3, "n2"), false, true},
		{"a stop that came by anti-entropy first, past another stop", stop(2, "n3"), stop(3, "n2"), true, true},
		{"a retransmitted start of a new generation", stop(2, "n3"), start(3, "n2"), false, false},
		{"a start of a new generation that came by anti-entropy first", stop(2, "n3"), start(3, "n2"), true, false},
		{"a retransmitted stop of the live generation", start(2, "n3"), stop(3, "n2"), false, false},
		{"a guided start that beat this node's own start of another mapping (the merge decides)", pin(start(1, "n1"), "n1"), pin(start(1, "n2"), "n2"), false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lc := newLockstep(t, 2, func(cfg *Config) {
				fastTiming(cfg)
				cfg.Partition = PartitionConfig{Kind: Strict, Voters: []NodeID{"n1", "n2"}}
			})
			n1 := lc.nodes["n1"]
			n1.reg.put(&c.have)
			if c.gossiped {
				n1.Step(lc.now, Message{Kind: MsgReplicate, Hub: n1.cfg.HubID, From: "n2", Inc: 1, Entries: []Entry{c.write}})
				n1.Ready()
			} else if ack := replicateFromN2(t, n1, lc.now, c.write); (ack.Err == errStaleVersion) != c.contested {
				t.Fatalf("first round: %+v, refused = %v, want %v", ack, !c.contested, c.contested)
			}
			ack := replicateFromN2(t, n1, lc.now, c.write)
			refused := ack.Err == errStaleVersion && len(ack.IDs) == 1 && ack.IDs[0] == "w"
			if refused != c.contested {
				t.Fatalf("ack %+v: refused = %v, want %v", ack, refused, c.contested)
			}
		})
	}
}
