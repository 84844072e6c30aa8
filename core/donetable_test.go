package core

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestDoneResultsRebuildTheAnswer: whatever an answer holds, the table of
// answered requests gives a retransmission of its request the same
// results, compact or not.
func TestDoneResultsRebuildTheAnswer(t *testing.T) {
	compact, plain := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		nodes := [][]NodeID{nil, {"n1"}, {"n2"}, {"n1", "n2"}, {"n2", "n1"}, {"n1", "n2", "n3"}}
		errs := []ErrCode{"", Code(ErrAlreadyStarted), Code(ErrTimeout), Code(ErrNotFound)}
		details := []string{"", "quorum lost before acknowledgement", "owner n2"}
		// The answer's shapes: sometimes more than maxDoneShapes.
		var shapes []ChildResult
		for i, k := 0, rapid.IntRange(1, 2*maxDoneShapes).Draw(t, "shapes"); i < k; i++ {
			ns := nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "nodes")]
			if rapid.Bool().Draw(t, "apart") {
				ns = []NodeID{NodeID(fmt.Sprintf("m%d", i))}
			}
			shapes = append(shapes, ChildResult{Nodes: ns, Err: errs[rapid.IntRange(0, len(errs)-1).Draw(t, "err")],
				Detail: details[rapid.IntRange(0, len(details)-1).Draw(t, "detail")]})
		}
		k := rapid.IntRange(0, 3*compactDoneAbove).Draw(t, "results")
		res := make([]ChildResult, k)
		m := Message{Kind: MsgRequest, Op: OpStop}
		for i := range res {
			id := ChildID(fmt.Sprintf("c%d", i))
			m.IDs = append(m.IDs, id)
			res[i] = shapes[rapid.IntRange(0, len(shapes)-1).Draw(t, "shape")]
			res[i].ID, res[i].Epoch = id, rapid.Uint64().Draw(t, "epoch")
		}
		if k > 0 && rapid.IntRange(0, 3).Draw(t, "meta") == 3 { // a lookup's answer
			res[rapid.IntRange(0, k-1).Draw(t, "withMeta")].Metadata = Metadata{"tag": "x"}
		}
		want := append([]ChildResult(nil), res...)
		d := compactDone(res)
		if d.epochs != nil {
			compact++
		} else {
			plain++
		}
		if got := d.results(m); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("rebuilt %d results differ from the %d answered (compact: %v)", len(got), len(want), d.epochs != nil)
		}
	})
	if compact == 0 || plain == 0 {
		t.Errorf("%d answers kept compact, %d whole: the generator misses a case", compact, plain)
	}
}

// startAnswer is what an owner answers for a part of children it places
// on itself alone: one node list shared by every result.
func startAnswer(k int) []ChildResult {
	res := make([]ChildResult, k)
	for i := range res {
		res[i] = ChildResult{ID: ChildID(fmt.Sprintf("s-%d", i)), Nodes: []NodeID{"n2"}, Epoch: uint64(i + 1)}
	}
	return res
}

// TestDoneResultsOfAPartAreSmall: the table keeps a 4,096-child start
// answer in at most 12 bytes per child (its epoch and shape index: 9),
// where the answer itself takes ~100 (88 for the result, 16 for its node
// list). Counted as heap bytes allocated, which do not depend on load.
func TestDoneResultsOfAPartAreSmall(t *testing.T) {
	res := startAnswer(subPartItems)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := compactDone(res)
	runtime.ReadMemStats(&after)
	per := float64(after.TotalAlloc-before.TotalAlloc) / subPartItems
	t.Logf("%.1f bytes per child kept (%d shapes)", per, len(d.shapes))
	if d.epochs == nil || len(d.shapes) != 1 {
		t.Fatalf("a start answer of one node list kept whole (%d shapes)", len(d.shapes))
	}
	if per > 12 {
		t.Errorf("%.1f bytes per child kept; want at most 12", per)
	}
}

// TestRetransmittedLargePartGetsTheSameAnswer: an owner that answered a
// part of a large start answers a retransmission of it (the answer lost)
// with the same results, from the compact table, without starting
// anything again.
func TestRetransmittedLargePartGetsTheSameAnswer(t *testing.T) {
	c := newBenchCluster(t, 3)
	d := &partsDriver{c: c, costPerItem: time.Microsecond, inFlight: map[NodeID]map[uint64]bool{}}
	var req Message
	first := map[uint64][]ChildResult{}
	d.drop = func(env Envelope) bool {
		switch m := env.Msg; {
		case m.Kind == MsgRequest && env.To == "n2" && len(m.Items) > compactDoneAbove && req.Seq == 0:
			req = m
		case m.Kind == MsgResult && m.From == "n2":
			first[m.Seq] = append([]ChildResult(nil), m.Results...)
		}
		return false
	}
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: benchSpecs("r", 6000), Start: StartOptions{Await: true}})
	for i := 0; len(c.replies) == 0; i++ {
		if !d.round() && i > 1000 {
			t.Fatal("no reply and nothing to deliver")
		}
	}
	want := first[req.Seq]
	if req.Seq == 0 || len(want) != len(req.Items) {
		t.Fatalf("no answered part of more than %d children to n2 (seq %d, %d results)", compactDoneAbove, req.Seq, len(want))
	}
	n2 := c.nodes["n2"]
	if got := n2.repl.done[reqKey{req.Origin, req.OriginInc, req.Seq}]; got.epochs == nil {
		t.Fatalf("n2 keeps the answer to %d children whole", len(want))
	}
	n2.Step(c.now, req)
	rd := n2.Ready()
	var again []ChildResult
	for _, env := range rd.Messages {
		if env.Msg.Kind == MsgResult && env.Msg.Seq == req.Seq {
			again = env.Msg.Results
		}
	}
	for _, e := range rd.Effects {
		if e.Kind == EffectStart {
			t.Fatalf("the retransmission started %s again", e.ID)
		}
	}
	if !reflect.DeepEqual(again, want) {
		t.Fatalf("the retransmission got %d results, different from the first answer's %d", len(again), len(want))
	}
}
