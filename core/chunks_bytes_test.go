package core

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestEnvelopeBytesIsMessageBytes: every envelope a node hands out says
// its message's MessageBytes, whole or in parts, as it stands when the
// driver drains the batch (the simulator counts bytes sent from
// Envelope.Bytes instead of walking each message again). Three nodes
// start 60 children and a fourth joins, so its full syncs (more entries
// than Limits.MaxBatch) go out in parts; then n2 stops them all, so claim
// deltas join queued rounds (claimround.go rewrites a queued message); testEnv.drain prints a BYTES line for
// any envelope whose Bytes differs.
func TestEnvelopeBytesIsMessageBytes(t *testing.T) {
	e := newTestEnv()
	e.tune = func(c *Config) {
		c.Limits.MaxMessageBytes = c.Limits.minMessageBytes()
		c.Limits.MaxBatch = 8
	}
	for _, name := range []NodeID{"n1", "n2", "n3"} {
		if err := e.addNode(name, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.run(time.Minute, true, e.formed); err != nil {
		t.Fatalf("forming: %v", err)
	}
	var specs []ChildSpec
	for i := 0; i < 60; i++ {
		specs = append(specs, ChildSpec{ID: ChildID(fmt.Sprintf("c%02d", i)), Params: map[string]string{"pad": strings.Repeat("p", 40)}})
	}
	for i := 0; i < len(specs); i += 6 {
		e.reqID++
		e.nodes["n1"].Request(e.now, Request{ID: e.reqID, Op: OpStart, Specs: specs[i : i+6]})
		e.drain("n1")
	}
	parts, msgs, merged := 0, 0, 0
	for i := 0; i < 900; i++ {
		if i == 300 { // n4 joins a registry of 60 entries: full syncs in parts
			if err := e.addNode("n4", 1); err != nil {
				t.Fatal(err)
			}
		}
		if i == 600 { // stops: claim deltas join queued rounds (claimround.go)
			for j := 0; j < len(specs); j += 6 {
				ids := make([]ChildID, 0, 6)
				for _, sp := range specs[j : j+6] {
					ids = append(ids, sp.ID)
				}
				e.reqID++
				e.nodes["n2"].Request(e.now, Request{ID: e.reqID, Op: OpStop, IDs: ids})
				e.drain("n2")
			}
		}
		for _, env := range e.inflight {
			msgs++
			if env.Msg.Parts > 1 {
				parts++
			}
			if env.Msg.Kind == MsgClaims && carriesRound(&env.Msg) {
				merged++
			}
		}
		e.deliver(e.take(match{}))
		e.answer()
		e.tick(e.tickInterval(), e.alive())
	}
	for _, line := range e.out {
		if strings.Contains(line, " BYTES ") {
			t.Fatal(line)
		}
	}
	if parts == 0 || merged == 0 {
		t.Fatalf("among %d messages %d parts and %d claim deltas with a round: the test proves nothing about what it missed", msgs, parts, merged)
	}
	t.Logf("%d messages, %d parts, %d claim deltas with a round", msgs, parts, merged)
}
