package core

import (
	"errors"
	"fmt"
	"pgregory.net/rapid"
	"slices"
	"strings"
	"testing"
)

func TestRingPrefixStable(t *testing.T) {
	r := newRing(64)
	var nodes []NodeID
	for i := 0; i < 7; i++ {
		nodes = append(nodes, NodeID(fmt.Sprintf("n%d", i)))
	}
	r.set(nodes)
	for i := 0; i < 500; i++ {
		id := ChildID(fmt.Sprintf("child-%d", i))
		full := r.successors(nil, id, 7)
		if len(full) != 7 {
			t.Fatalf("%s: %d successors, want 7", id, len(full))
		}
		seen := map[NodeID]bool{}
		for _, n := range full {
			if seen[n] {
				t.Fatalf("%s: repeated node %s in %v", id, n, full)
			}
			seen[n] = true
		}
		for k := 1; k < 7; k++ {
			p := r.successors(nil, id, k)
			for j := range p {
				if p[j] != full[j] {
					t.Fatalf("%s: successors(%d)=%v is not a prefix of %v", id, k, p, full)
				}
			}
		}
	}
	if got := r.successors(nil, "x", 99); len(got) != 7 {
		t.Fatalf("asking for more nodes than exist gave %d, want all 7", len(got))
	}
}

func TestRingIndependentOfInputOrder(t *testing.T) {
	a, b := newRing(32), newRing(32)
	a.set([]NodeID{"a", "b", "c"})
	b.set([]NodeID{"c", "a", "b"})
	for i := 0; i < 200; i++ {
		id := ChildID(fmt.Sprint(i))
		if x, y := a.successors(nil, id, 3), b.successors(nil, id, 3); fmt.Sprint(x) != fmt.Sprint(y) {
			t.Fatalf("%s: %v vs %v", id, x, y)
		}
	}
}

func TestRingMovesOnlyToNewNode(t *testing.T) {
	before, after := newRing(128), newRing(128)
	before.set([]NodeID{"a", "b", "c"})
	after.set([]NodeID{"a", "b", "c", "d"})
	moved := 0
	for i := 0; i < 3000; i++ {
		id := ChildID(fmt.Sprint("k", i))
		x, y := before.successors(nil, id, 1)[0], after.successors(nil, id, 1)[0]
		if x != y {
			if y != "d" {
				t.Fatalf("%s moved %s -> %s, not to the new node", id, x, y)
			}
			moved++
		}
	}
	if moved < 400 || moved > 1200 {
		t.Fatalf("%d of 3000 keys moved to the 4th node, want about 750", moved)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	cases := map[string]func(*Config){
		"Name":                      func(c *Config) { c.Name = "" },
		"Redundancy.Factor":         func(c *Config) { c.Redundancy.Factor = 0 },
		"Partition.QuorumSize":      func(c *Config) { c.Partition.Kind = StaticQuorum },
		"Timing.DownAfter":          func(c *Config) { c.Timing.DownAfter = c.Timing.HeartbeatInterval },
		"Distribution.Kind":         func(c *Config) { c.Distribution.Kind = "random" },
		"Sync.FanOut":               func(c *Config) { c.Sync.FanOut = 0 },
		"Distribution.VirtualNodes": func(c *Config) { c.Distribution.VirtualNodes = 0 },
	}
	for field, mutate := range cases {
		c := DefaultConfig("n1")
		if err := c.Validate(); err != nil {
			t.Fatalf("default config invalid: %v", err)
		}
		mutate(&c)
		err := c.Validate()
		if err == nil || !contains(err.Error(), field) {
			t.Errorf("%s: got %v, want an error naming the field", field, err)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestErrCodesRoundTrip(t *testing.T) {
	for _, c := range codes {
		if got := Code(fmt.Errorf("wrapped: %w", c.err)); got != c.code {
			t.Errorf("Code(%v) = %q, want %q", c.err, got, c.code)
		}
		if c.code.Err() != c.err {
			t.Errorf("%q.Err() = %v", c.code, c.code.Err())
		}
	}
	if Code(nil) != "" || ErrCode("").Err() != nil {
		t.Error("nil error must map to the empty code")
	}
}

func TestMessageValidateRejectsJunk(t *testing.T) {
	bad := []Message{
		{},
		{Kind: msgKindEnd, From: "a"},
		{Kind: MsgHeartbeat},
		{Kind: MsgRequest, From: "a", Items: []StartItem{{Spec: ChildSpec{ID: ""}}}},
	}
	for i, m := range bad {
		if err := m.Validate(10); err == nil {
			t.Errorf("case %d: %+v accepted", i, m)
		}
	}
	ok := Message{Kind: MsgHeartbeat, From: "a"}
	if err := ok.Validate(10); err != nil {
		t.Fatal(err)
	}
}

func TestRequestOverBatchLimitIsRefused(t *testing.T) {
	cfg := DefaultConfig("n1")
	cfg.Limits.MaxBatch = 3
	n, err := NewNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	n.Request(2, Request{ID: 7, Op: OpStart, Specs: []ChildSpec{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}, Start: StartOptions{Await: true}})
	rd := n.Ready()
	if len(rd.Replies) != 1 || !errors.Is(rd.Replies[0].Err, ErrBatchTooLarge) {
		t.Fatalf("replies %+v, want one ErrBatchTooLarge", rd.Replies)
	}
	if len(rd.Effects) != 0 || len(rd.Messages) != 0 {
		t.Fatalf("a refused request had effects %v / messages %v", rd.Effects, rd.Messages)
	}
}

// TestRingIncrementalSetEqualsRebuild changes a ring's node set step by
// step (one or a few nodes at a time, or all at once) and compares it with
// a ring built afresh from the same set: the incremental merge must give
// exactly the same points in the same order.
func TestRingIncrementalSetEqualsRebuild(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		names := []NodeID{"a", "b", "c", "d", "e", "f", "g", "h"}
		vnodes := rapid.IntRange(1, 16).Draw(t, "vnodes")
		r := newRing(vnodes)
		for step := rapid.IntRange(1, 12).Draw(t, "steps"); step > 0; step-- {
			var set []NodeID
			for _, n := range names {
				if rapid.Bool().Draw(t, "in-"+string(n)) {
					set = append(set, n)
				}
			}
			r.set(set)
			fresh := newRing(vnodes)
			fresh.set(set)
			r.build()
			fresh.build()
			if !slices.Equal(r.points, fresh.points) || !slices.Equal(r.nodes, fresh.nodes) {
				t.Fatalf("ring set to %v incrementally differs from a rebuild", set)
			}
		}
	})
}
