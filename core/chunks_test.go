package core

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestSplitPartsFitAndJoinBack: for random messages and limits, every part
// is within MaxMessageBytes and MaxBatch (unless one element alone is
// larger), parts are numbered, and joining the parts gives back the
// message's lists in order.
func TestSplitPartsFitAndJoinBack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		l := DefaultLimits()
		l.MaxMessageBytes = rapid.IntRange(600, 4000).Draw(t, "maxMessageBytes")
		l.MaxBatch = rapid.IntRange(1, 50).Draw(t, "maxBatch")
		str := func(label string) string {
			return strings.Repeat("x", rapid.IntRange(0, 300).Draw(t, label))
		}
		m := Message{Kind: MsgReplicate, Hub: "phub", From: "n1", Inc: 3, Seq: 9, Version: 4, Full: true}
		for i, k := 0, rapid.IntRange(0, 40).Draw(t, "entries"); i < k; i++ {
			m.Entries = append(m.Entries, Entry{Spec: ChildSpec{ID: ChildID(fmt.Sprint("e", i)), Params: map[string]string{"a": str("param")}}, Epoch: uint64(i + 1), Reason: str("reason")})
		}
		for i, k := 0, rapid.IntRange(0, 40).Draw(t, "claims"); i < k; i++ {
			m.Claims = append(m.Claims, Claim{ID: ChildID(fmt.Sprint("c", i, str("id"))), Epoch: 1, Instance: uint64(i)})
		}
		for i, k := 0, rapid.IntRange(0, 10).Draw(t, "results"); i < k; i++ {
			m.Results = append(m.Results, ChildResult{ID: ChildID(fmt.Sprint("r", i)), Detail: str("detail")})
		}
		if rapid.Bool().Draw(t, "state") {
			m.State = []byte(strings.Repeat("s", rapid.IntRange(1, 10000).Draw(t, "stateBytes")))
		}
		parts := l.split(m)
		if len(parts) == 1 {
			elements := len(m.Entries) + len(m.Claims) + len(m.Results) + min(len(m.State), 1)
			if MessageBytes(&m) > l.MaxMessageBytes && elements > 1 {
				t.Fatalf("unsplit message of %d bytes, limit %d", MessageBytes(&m), l.MaxMessageBytes)
			}
			return
		}
		var a assembler
		var whole Message
		done := false
		for i := len(parts) - 1; i >= 0; i-- { // out of order, with a duplicate
			p := parts[i]
			p.PartOf = 1
			if p.Part != i || p.Parts != len(parts) {
				t.Fatalf("part %d numbered %d of %d", i, p.Part, p.Parts)
			}
			if err := p.Validate(l.MaxBatch); err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			n := len(p.Entries) + len(p.Claims) + len(p.Results)
			if sz := MessageBytes(&p); sz > l.MaxMessageBytes && n+min(len(p.State), 1) > 1 {
				t.Fatalf("part %d of %d elements is %d bytes, limit %d", i, n, sz, l.MaxMessageBytes)
			}
			if n > l.MaxBatch {
				t.Fatalf("part %d has %d elements, limit %d", i, n, l.MaxBatch)
			}
			whole, done = a.add(p)
			if i > 0 {
				if _, dup := a.add(p); dup {
					t.Fatal("a duplicate part completed the message")
				}
			}
		}
		if !done {
			t.Fatal("all parts arrived but the message is incomplete")
		}
		if !reflect.DeepEqual(whole.Entries, m.Entries) || !reflect.DeepEqual(whole.Claims, m.Claims) ||
			!reflect.DeepEqual(whole.Results, m.Results) || string(whole.State) != string(m.State) ||
			whole.Version != m.Version || whole.Seq != m.Seq || !whole.Full || whole.Parts != 0 {
			t.Fatalf("joined message differs from the original")
		}
	})
}
