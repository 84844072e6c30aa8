package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// smallLimits shrinks the limits table so that messages of a few KiB must
// be split: the registry below is about a hundred times one message.
func smallLimits(c *core.Config) {
	l := &c.Limits
	l.MaxKindBytes, l.MaxParams, l.MaxParamBytes, l.MaxSpecBytes = 32, 4, 512, 1024
	l.MaxMetadataEntries, l.MaxMetadataBytes, l.MaxPinnedNodes = 4, 256, 4
	l.MaxMessageBytes = 8 << 10
}

// TestRegistryLargerThanAMessageSyncs starts a registry about a hundred
// times larger than one message (Limits.MaxMessageBytes), then lets a new
// node join and an old one restart: both must complete their full sync
// (in parts), hold every entry and serve owner requests, and the cluster
// must pass the quiescence checks (issue 9: a node restarted next to an
// entry that could not be sent never finished its sync).
func TestRegistryLargerThanAMessageSyncs(t *testing.T) {
	s := New(Options{Seed: 11, Configure: smallLimits})
	for i := 1; i <= 3; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second)
	const children = 3000
	var all []core.ChildSpec
	for i := 0; i < children; i++ {
		all = append(all, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("big-%04d", i)), Params: map[string]string{"args": strings.Repeat("x", 200)}})
	}
	for start := 0; start < children; start += 500 {
		id, err := s.Request(nodeName(1), core.Request{Op: core.OpStart, Specs: all[start : start+500], Start: core.StartOptions{Await: true, Timeout: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		s.RunFor(5 * time.Second)
		rep, ok := s.Reply(id)
		if !ok || rep.Err != nil {
			t.Fatalf("start batch %d: reply %v %v", start, ok, rep.Err)
		}
		for _, r := range rep.Results {
			if r.Err != "" {
				t.Fatalf("start %s: %s %s", r.ID, r.Err, r.Detail)
			}
		}
	}
	entries := s.Node(nodeName(1)).List()
	whole := core.Message{Kind: core.MsgReplicate, Entries: make([]core.Entry, len(entries))}
	for i, e := range entries {
		whole.Entries[i] = *e
	}
	limit := s.Node(nodeName(1)).Config().Limits.MaxMessageBytes
	if got := core.MessageBytes(&whole); got < 50*limit {
		t.Fatalf("registry is %d bytes, want far more than one message (%d)", got, limit)
	}

	if err := s.AddNode(nodeName(4)); err != nil {
		t.Fatal(err)
	}
	s.Crash(nodeName(2))
	s.RunFor(3 * time.Second)
	if err := s.Restart(nodeName(2)); err != nil {
		t.Fatal(err)
	}
	s.RunFor(20 * time.Second)
	for _, n := range []core.NodeID{nodeName(2), nodeName(4)} {
		if got := len(s.Node(n).List()); got != children {
			t.Fatalf("%s holds %d entries, want %d", n, got, children)
		}
		id, _ := s.Request(n, core.Request{Op: core.OpLookup, IDs: []core.ChildID{"big-0000", "big-2999"}, Consistency: core.Owner})
		s.RunFor(5 * time.Second)
		rep, ok := s.Reply(id)
		if !ok || rep.Err != nil {
			t.Fatalf("owner lookup from %s: %v %v", n, ok, rep.Err)
		}
		for _, r := range rep.Results {
			if r.Err != "" {
				t.Fatalf("owner lookup of %s from %s: %s %s", r.ID, n, r.Err, r.Detail)
			}
		}
	}
	if vs := s.CheckQuiescent(Guarantee{Durable: true}); len(vs) > 0 {
		t.Fatalf("violations: %v", vs)
	}
	if n := s.Oversize(); n > 0 {
		t.Fatalf("%d messages exceeded Limits.MaxMessageBytes", n)
	}
	for _, n := range s.LiveNodes() {
		if a := s.Node(n).Stats().Assemblies; a != 0 {
			t.Fatalf("%s holds %d incomplete messages at quiescence", n, a)
		}
	}
}

// TestSplitMessagesUnderFaults runs the small limits table (every full
// sync, claim list and large request in parts) under message loss,
// duplication and reordering, a crash and a restart, and asserts the
// quiescence checks and that no message exceeded the limit: a lost part
// loses one logical message, which the protocol repairs like any loss.
func TestSplitMessagesUnderFaults(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		s := New(Options{Seed: seed, Configure: smallLimits})
		for i := 1; i <= 4; i++ {
			if err := s.AddNode(nodeName(i)); err != nil {
				t.Fatal(err)
			}
		}
		s.RunFor(2 * time.Second)
		s.SetNet(NetConfig{Loss: 0.05, Dup: 0.05, Reorder: 0.2, MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
		for b := 0; b < 3; b++ {
			var specs []core.ChildSpec
			for i := 0; i < 200; i++ {
				specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("f%d-%03d", b, i)), Params: map[string]string{"args": strings.Repeat("y", 300)}})
			}
			s.Request(nodeName(1+b%4), core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Await: true, Timeout: 20 * time.Second}})
			s.RunFor(3 * time.Second)
		}
		s.Crash(nodeName(3))
		s.RunFor(3 * time.Second)
		if err := s.Restart(nodeName(3)); err != nil {
			t.Fatal(err)
		}
		s.RunFor(10 * time.Second)
		s.SetNet(NetConfig{})
		s.RunFor(20 * time.Second)
		if vs := s.CheckQuiescent(Guarantee{Durable: true}); len(vs) > 0 {
			t.Fatalf("seed %d: violations: %v", seed, vs)
		}
		if n := s.Oversize(); n > 0 {
			t.Fatalf("seed %d: %d messages exceeded Limits.MaxMessageBytes", seed, n)
		}
		if got := len(s.Node(nodeName(3)).List()); got == 0 {
			t.Fatalf("seed %d: the restarted node holds no entries", seed)
		}
	}
}
