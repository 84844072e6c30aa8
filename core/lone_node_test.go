package core

import (
	"testing"
	"time"
)

// TestLoneNodeServesAtOnce: a node configured without seeds founds its
// own cluster: it has no one to wait for, so its first tick makes it
// ready and an awaited start is answered at once, not after DownAfter.
func TestLoneNodeServesAtOnce(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Incarnation = 1
	now := Instant(1000 * time.Second)
	n, err := NewNode(cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(cfg.Timing.TickInterval)
	n.Tick(now)
	n.Ready()
	n.Request(now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "c"}}, Start: StartOptions{Await: true}})
	rd := n.Ready()
	for _, e := range rd.Effects {
		if e.Kind == EffectStart && e.ID == "c" {
			n.ChildEvent(now, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
		}
	}
	rd = n.Ready()
	if len(rd.Replies) != 1 || rd.Replies[0].ID != 1 {
		t.Fatalf("no answer at the first tick (DownAfter is %v): %+v", cfg.Timing.DownAfter, rd.Replies)
	}
	if r := rd.Replies[0]; len(r.Results) != 1 || r.Results[0].Err.Err() != nil {
		t.Fatalf("start not done at the first tick: %+v", r)
	}
}
