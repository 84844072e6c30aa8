package core

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestSplitCarriesEveryList: a message too large for one frame is sent in
// parts, and the receiver's join gives back exactly the message sent —
// every list the protocol fills (members of a welcome, start items of a
// routed request, ids, entries, claims, results, the children of a
// which-children reply, acks) and the handover state, in order, whatever
// the limits. A list left out of the parts would silently drop, say, the
// children a large node reports to which_children_global.
func TestSplitCarriesEveryList(t *testing.T) {
	pad := func(i int) string { return strings.Repeat("p", 20+i%7) }
	m := Message{Kind: MsgWhichReply, Hub: "phub", From: "n1", Inc: 3, Seq: 9, Version: 4, Full: true, Epoch: 12}
	for i := 0; i < 12; i++ {
		id := ChildID(fmt.Sprintf("child-%d-%s", i, pad(i)))
		m.Members = append(m.Members, Member{Name: NodeID(fmt.Sprintf("m%d", i)), Incarnation: uint64(i + 1), Addr: pad(i)})
		m.Items = append(m.Items, StartItem{Spec: ChildSpec{ID: id, Kind: "k"}, Metadata: Metadata{"tag": pad(i)}})
		m.IDs = append(m.IDs, id)
		m.Entries = append(m.Entries, Entry{Spec: ChildSpec{ID: id}, Epoch: uint64(i + 1), Holder: "n1", By: "n1", Reason: pad(i)})
		m.Claims = append(m.Claims, Claim{ID: id, Epoch: uint64(i + 1), Instance: uint64(i + 2), Active: i%2 == 0})
		m.Results = append(m.Results, ChildResult{ID: id, Nodes: []NodeID{"n1"}, Epoch: uint64(i + 1), Detail: pad(i)})
		m.Children = append(m.Children, LocalChild{ID: id, Kind: "k", Epoch: uint64(i + 1), Instance: uint64(i + 3), Status: "running", Active: true})
		m.Acks = append(m.Acks, NodeID(fmt.Sprintf("a%d-%s", i, pad(i))))
	}
	m.State = []byte(strings.Repeat("s", 3000))
	for _, lim := range []struct{ bytes, batch int }{{600, 1000}, {1500, 1000}, {100000, 5}, {100000, 1}, {2000, 7}} {
		t.Run(fmt.Sprintf("bytes=%d,batch=%d", lim.bytes, lim.batch), func(t *testing.T) {
			l := DefaultLimits()
			l.MaxMessageBytes, l.MaxBatch = lim.bytes, lim.batch
			parts := l.split(m)
			if len(parts) < 2 {
				t.Fatalf("a message of %d bytes and %d elements went whole under limits %+v", MessageBytes(&m), 8*12+1, lim)
			}
			var a assembler
			var whole Message
			done := false
			for i := range parts {
				p := parts[i]
				p.PartOf = 5
				whole, done = a.add(p)
			}
			if !done {
				t.Fatal("every part arrived but the message is incomplete")
			}
			if !reflect.DeepEqual(whole, m) {
				for _, f := range []struct {
					name      string
					got, want any
				}{
					{"Members", whole.Members, m.Members}, {"Items", whole.Items, m.Items}, {"IDs", whole.IDs, m.IDs},
					{"Entries", whole.Entries, m.Entries}, {"Claims", whole.Claims, m.Claims}, {"Results", whole.Results, m.Results},
					{"Children", whole.Children, m.Children}, {"Acks", whole.Acks, m.Acks}, {"State", whole.State, m.State},
				} {
					if !reflect.DeepEqual(f.got, f.want) {
						t.Errorf("%s differs after split and join: %d elements back of %d sent", f.name, reflect.ValueOf(f.got).Len(), reflect.ValueOf(f.want).Len())
					}
				}
				t.Fatalf("the joined message differs from the one sent (%d parts)", len(parts))
			}
		})
	}
}

// TestSplitLargeHandoverState: a hot-swap handover whose state is larger
// than a peer message goes in parts that each carry less state than the
// limit (a frame larger than the transport's limit would be dropped, and
// the state lost), and the parts join back to the whole state.
func TestSplitLargeHandoverState(t *testing.T) {
	l := DefaultLimits()
	l.MaxMessageBytes = 64 << 10
	m := Message{Kind: MsgHandover, Hub: "phub", From: "n1", Inc: 1, Seq: 3, IDs: []ChildID{"c"}, State: []byte(strings.Repeat("s", 5*l.MaxMessageBytes/2))}
	if b := MessageBytes(&m); b < len(m.State) {
		t.Fatalf("MessageBytes = %d for a message carrying %d bytes of state", b, len(m.State))
	}
	parts := l.split(m)
	if len(parts) < 3 {
		t.Fatalf("%d bytes of state in %d part(s) under a %d-byte limit", len(m.State), len(parts), l.MaxMessageBytes)
	}
	var a assembler
	var whole Message
	for i, p := range parts {
		if len(p.State) >= l.MaxMessageBytes {
			t.Fatalf("part %d carries %d bytes of state, limit %d", i, len(p.State), l.MaxMessageBytes)
		}
		p.PartOf = 1
		whole, _ = a.add(p)
	}
	if string(whole.State) != string(m.State) || len(whole.IDs) != 1 {
		t.Fatalf("joined state %d bytes (ids %v), sent %d", len(whole.State), whole.IDs, len(m.State))
	}
}

// TestAssemblerStaysBoundedUnderLostParts: logical messages whose other
// parts are lost never complete; the receiver holds at most maxAssemblies
// of them, dropping the oldest first, however many arrive — and a message
// whose parts all arrive still completes.
func TestAssemblerStaysBoundedUnderLostParts(t *testing.T) {
	var a assembler
	for i := 0; i < 3*maxAssemblies; i++ {
		if _, done := a.add(Message{From: "n2", Inc: 1, PartOf: uint64(i + 1), Part: 0, Parts: 2}); done {
			t.Fatalf("message %d completed with one part of two", i+1)
		}
		if len(a.open) > maxAssemblies || len(a.order) != len(a.open) {
			t.Fatalf("after %d incomplete messages: %d held, %d in the eviction order, want at most %d and the same", i+1, len(a.open), len(a.order), maxAssemblies)
		}
	}
	// The newest incomplete one is still held: its last part completes it.
	last := uint64(3 * maxAssemblies)
	if _, done := a.add(Message{From: "n2", Inc: 1, PartOf: last, Part: 1, Parts: 2}); !done {
		t.Fatal("the newest message did not complete with its last part")
	}
	if len(a.order) != len(a.open) {
		t.Fatalf("%d held, %d in the eviction order after a completion", len(a.open), len(a.order))
	}
}
