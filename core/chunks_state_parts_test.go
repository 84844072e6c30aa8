package core

import (
	"strings"
	"testing"
)

// TestSplitStateFillsEveryPart: a handover state split under a batch
// limit of one element goes one chunk per part, each part full up to the
// byte limit — no part without state, and no more parts than the state
// needs — so a large handover costs the fewest messages the limits allow.
func TestSplitStateFillsEveryPart(t *testing.T) {
	l := DefaultLimits()
	l.MaxMessageBytes = 4 << 10
	l.MaxBatch = 1
	m := Message{Kind: MsgHandover, Hub: "phub", From: "n1", Inc: 1, Seq: 3, State: []byte(strings.Repeat("s", 10*l.MaxMessageBytes))}
	parts := l.split(m)
	head := m
	head.State = nil
	room := l.MaxMessageBytes - (headerBound(&head) + 3*varintBytes) - varintBytes
	if most := (len(m.State) + room - 1) / room; len(parts) > most {
		t.Errorf("%d bytes of state in %d parts, at most %d needed (%d bytes of room each)", len(m.State), len(parts), most, room)
	}
	for i, p := range parts {
		if len(p.State) == 0 {
			t.Errorf("part %d of %d carries no state", i, len(parts))
		}
	}
}
