package transport

import (
	"math"
	"strings"
	"testing"

	"github.com/phub/phub/core"
)

// maxMessage is a message with every field at its largest: every integer
// needs a 10-byte varint, every name is MaxNodeIDBytes long, the error
// code is at its 64-byte limit, every list holds one element whose own
// integers and strings are at their largest, and the entry is at every
// limit of l.
func maxMessage(l core.Limits) core.Message {
	name := core.NodeID(strings.Repeat("n", core.MaxNodeIDBytes))
	id := core.ChildID(strings.Repeat("i", l.MaxChildIDBytes))
	const u = math.MaxUint64
	e := maxEntry(l, 0)
	e.Epoch, e.StoppedAt = u, math.MinInt64
	e.Replicas = []core.Replica{{Node: name, Incarnation: u, Epoch: u, Active: true}}
	return core.Message{
		Kind: core.MsgReplicate, Hub: string(name), From: name, Inc: u, Seq: u, Op: core.Op(math.MaxUint8),
		Origin: name, OriginInc: u, ToInc: u, Hops: math.MaxUint8, Full: true, Epoch: u,
		Err: core.ErrCode(strings.Repeat("e", 64)), Digest: u, Version: u, Count: math.MinInt64, CheckExisting: true,
		PartOf: u, Part: math.MaxInt64 - 1, Parts: math.MaxInt64, State: []byte("s"),
		ClaimDeltas: math.MinInt64, ClaimsLen: math.MinInt64, ClaimsHash: u,
		Members:  []core.Member{{Name: name, Incarnation: u, Status: math.MaxUint8, Addr: "a", Cordoned: true, CordonVer: u, Beat: u, SyncStamp: u}},
		Items:    []core.StartItem{{Spec: e.Spec, Metadata: e.Metadata, Pinned: e.Pinned}},
		IDs:      []core.ChildID{id},
		Entries:  []core.Entry{e},
		Claims:   []core.Claim{{ID: id, Epoch: u, Instance: u, Active: true, Removed: true}},
		Results:  []core.ChildResult{{ID: id, Nodes: []core.NodeID{name}, Epoch: u, Err: "e", Detail: "d", Metadata: core.Metadata{"k": "v"}}},
		Children: []core.LocalChild{{ID: id, Kind: "k", Epoch: u, Instance: u, Status: "s", Active: true}},
		Acks:     []core.NodeID{name},
	}
}

// TestMessageBytesBoundsTheLargestMessage: core.MessageBytes bounds the
// encoding of a message at every maximum at once (the random messages of
// TestMessageBytesBoundsTheEncoding stay far below the bounds' slack),
// and of each of its parts alone: the header with no lists, and each
// list with one element. The slack of each is logged: it is what a
// mutant lowering a bound by less can hide in (cmd/mutate/EQUIVALENT.md).
func TestMessageBytesBoundsTheLargestMessage(t *testing.T) {
	l := core.DefaultLimits()
	full := maxMessage(l)
	header := full
	header.State, header.Members, header.Items, header.IDs, header.Entries = nil, nil, nil, nil, nil
	header.Claims, header.Results, header.Children, header.Acks = nil, nil, nil, nil
	only := func(f func(m *core.Message)) core.Message { m := header; f(&m); return m }
	cases := map[string]core.Message{
		"full":     full,
		"header":   header,
		"members":  only(func(m *core.Message) { m.Members = full.Members }),
		"items":    only(func(m *core.Message) { m.Items = full.Items }),
		"ids":      only(func(m *core.Message) { m.IDs = full.IDs }),
		"entries":  only(func(m *core.Message) { m.Entries = full.Entries }),
		"claims":   only(func(m *core.Message) { m.Claims = full.Claims }),
		"results":  only(func(m *core.Message) { m.Results = full.Results }),
		"children": only(func(m *core.Message) { m.Children = full.Children }),
		"acks":     only(func(m *core.Message) { m.Acks = full.Acks }),
	}
	for _, name := range []string{"header", "members", "items", "ids", "entries", "claims", "results", "children", "acks", "full"} {
		m := cases[name]
		b, err := AppendMessageBinary(nil, &m)
		if err != nil {
			t.Fatalf("%s: encode: %v", name, err)
		}
		bound := core.MessageBytes(&m)
		if len(b) > bound {
			t.Errorf("%s: encoded %d bytes, core.MessageBytes says at most %d", name, len(b), bound)
		}
		t.Logf("%-8s encoded %7d bytes, bound %7d, slack %d", name, len(b), bound, bound-len(b))
	}
	// The smallest MaxMessageBytes Validate accepts must carry the
	// largest single entry with the largest header.
	m := only(func(m *core.Message) { m.Entries = full.Entries })
	b, err := AppendMessageBinary(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	tight := l
	tight.MaxMessageBytes = len(b) - 1
	if err := tight.Validate(); err == nil {
		t.Errorf("Limits.Validate accepts MaxMessageBytes %d, below the %d bytes of the largest single-entry message", tight.MaxMessageBytes, len(b))
	}
	// The smallest accepted value, for the log: its slack over the
	// largest single-entry message.
	lo, hi := len(b), len(b)+1<<20
	for lo < hi {
		mid := (lo + hi) / 2
		tight.MaxMessageBytes = mid
		if tight.Validate() == nil {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	t.Logf("smallest MaxMessageBytes Validate accepts: %d, slack %d over the largest single-entry message", lo, lo-len(b))
}
