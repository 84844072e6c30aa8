package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestCheckRequestNamesTheLimit: each limit of the table refuses an input
// just over it with ErrLimitExceeded and the field's name, and accepts
// one at it.
func TestCheckRequestNamesTheLimit(t *testing.T) {
	l := DefaultLimits()
	big := func(n int) string { return strings.Repeat("x", n) }
	spec := func(p map[string]string) []ChildSpec { return []ChildSpec{{ID: "c", Params: p}} }
	many := func(n, size int) map[string]string {
		m := map[string]string{}
		for i := 0; i < n; i++ {
			m[string(rune('a'+i%26))+strings.Repeat("k", i/26)] = big(size)
		}
		return m
	}
	cases := []struct {
		field    string
		at, over Request
	}{
		{"MaxBatch", Request{Op: OpStop, IDs: make([]ChildID, l.MaxBatch)}, Request{Op: OpStop, IDs: make([]ChildID, l.MaxBatch+1)}},
		{"MaxChildIDBytes", Request{Op: OpStart, Specs: []ChildSpec{{ID: ChildID(big(l.MaxChildIDBytes))}}}, Request{Op: OpLookup, IDs: []ChildID{ChildID(big(l.MaxChildIDBytes + 1))}}},
		{"MaxKindBytes", Request{Op: OpStart, Specs: []ChildSpec{{ID: "c", Kind: big(l.MaxKindBytes)}}}, Request{Op: OpStart, Specs: []ChildSpec{{ID: "c", Kind: big(l.MaxKindBytes + 1)}}}},
		{"MaxParams", Request{Op: OpStart, Specs: spec(many(l.MaxParams, 1))}, Request{Op: OpStart, Specs: spec(many(l.MaxParams+1, 1))}},
		{"MaxParamBytes", Request{Op: OpStart, Specs: spec(map[string]string{"args": big(l.MaxParamBytes - 4)})}, Request{Op: OpStart, Specs: spec(map[string]string{"args": big(l.MaxParamBytes - 3)})}},
		{"MaxSpecBytes", Request{Op: OpStart, Specs: spec(many(4, l.MaxSpecBytes/4-1))}, Request{Op: OpStart, Specs: spec(many(5, l.MaxSpecBytes/4-1))}},
		{"MaxMetadataEntries", Request{Op: OpStart, Specs: spec(nil), Start: StartOptions{Metadata: many(l.MaxMetadataEntries, 1)}}, Request{Op: OpStart, Specs: spec(nil), Start: StartOptions{Metadata: many(l.MaxMetadataEntries+1, 1)}}},
		{"MaxMetadataBytes", Request{Op: OpStart, Specs: spec(nil), Start: StartOptions{Metadata: Metadata{"tag": big(l.MaxMetadataBytes - 3)}}}, Request{Op: OpStart, Specs: spec(nil), Start: StartOptions{Metadata: Metadata{"tag": big(l.MaxMetadataBytes - 2)}}}},
		{"MaxPinnedNodes", Request{Op: OpStart, Specs: spec(nil), Start: StartOptions{ChildMapping: map[ChildID][]NodeID{"c": make([]NodeID, l.MaxPinnedNodes)}}}, Request{Op: OpStart, Specs: spec(nil), Start: StartOptions{ChildMapping: map[ChildID][]NodeID{"c": make([]NodeID, l.MaxPinnedNodes+1)}}}},
	}
	for _, c := range cases {
		for _, ids := range [][]ChildID{c.at.IDs, c.over.IDs} {
			for i := range ids {
				if ids[i] == "" {
					ids[i] = "c"
				}
			}
		}
		if err := l.CheckRequest(c.at); err != nil {
			t.Errorf("%s: at the limit refused: %v", c.field, err)
		}
		err := l.CheckRequest(c.over)
		if !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "(Limits."+c.field+")") {
			t.Errorf("%s: over the limit gives %v, want ErrLimitExceeded naming Limits.%s", c.field, err, c.field)
		}
	}
	// MaxRequestBytes: many children each within every other limit.
	r := Request{Op: OpStart}
	params := many(4, l.MaxSpecBytes/4-1)
	for i := 0; i < l.MaxRequestBytes/(l.MaxSpecBytes)+1; i++ {
		r.Specs = append(r.Specs, ChildSpec{ID: ChildID(fmt.Sprint("c", i)), Params: params})
	}
	if err := l.CheckRequest(r); !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "(Limits.MaxRequestBytes)") {
		t.Errorf("MaxRequestBytes: %v", err)
	}
}

// TestParamErrorReadsLikeTheIssue pins the wording: the param, its size,
// the limit and the field.
func TestParamErrorReadsLikeTheIssue(t *testing.T) {
	err := DefaultLimits().CheckSpec(ChildSpec{ID: "w", Params: map[string]string{"args": strings.Repeat("a", 1258291)}})
	want := `limit exceeded: child "w": param 'args' is 1.2 MiB, limit 64 KiB (Limits.MaxParamBytes)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// TestRequestOverALimitIsRefusedByTheNode: Node.Request answers with the
// named error and registers nothing.
func TestRequestOverALimitIsRefusedByTheNode(t *testing.T) {
	n, err := NewNode(DefaultConfig("n1"), 1)
	if err != nil {
		t.Fatal(err)
	}
	n.Request(2, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "w", Params: map[string]string{"args": strings.Repeat("a", 70<<10)}}}, Start: StartOptions{Await: true}})
	rd := n.Ready()
	if len(rd.Replies) != 1 || !errors.Is(rd.Replies[0].Err, ErrLimitExceeded) || Code(rd.Replies[0].Err) != "limit_exceeded" {
		t.Fatalf("replies %+v, want one ErrLimitExceeded", rd.Replies)
	}
	if len(n.List()) != 0 || len(rd.Messages) != 0 || len(rd.Effects) != 0 {
		t.Fatalf("refused request left %d entries, %d messages, %d effects", len(n.List()), len(rd.Messages), len(rd.Effects))
	}
}

// TestLimitsValidateNamesTheField covers the table's own validation,
// including the relation that one entry at every limit fits one message.
func TestLimitsValidateNamesTheField(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for field, f := range map[string]func(*Limits){
		"MaxParamBytes":   func(l *Limits) { l.MaxParamBytes = MaxStringBytes + 1 },
		"MaxChildIDBytes": func(l *Limits) { l.MaxChildIDBytes = MaxChildIDBytes + 1 },
		"MaxMessageBytes": func(l *Limits) { l.MaxMessageBytes = 64 << 10 },
		"MaxBatch":        func(l *Limits) { l.MaxBatch = 0 },
	} {
		l := DefaultLimits()
		f(&l)
		c := DefaultConfig("n1")
		c.Limits = l
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Limits."+field) {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
