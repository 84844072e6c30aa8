package transport

import (
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/phub/phub/core"
)

// heldIDs is a ChildIDSource over a set of held strings: it answers with
// the held string itself, so a test can tell a shared id from a copy by
// its data pointer. liar maps ids to a wrong answer.
type heldIDs struct {
	held map[string]core.ChildID
	liar map[string]core.ChildID
}

func newHeldIDs(ids ...string) *heldIDs {
	h := &heldIDs{held: map[string]core.ChildID{}, liar: map[string]core.ChildID{}}
	for _, id := range ids {
		// A copy of its own, so no decoded string can share it by chance.
		h.held[id] = core.ChildID([]byte(id))
	}
	return h
}

func (h *heldIDs) source(b []byte) (core.ChildID, bool) {
	if id, ok := h.liar[string(b)]; ok {
		return id, true
	}
	id, ok := h.held[string(b)]
	return id, ok
}

// shares reports whether s is the held string of its id (same bytes in
// memory), not a copy.
func (h *heldIDs) shares(s core.ChildID) bool {
	held, ok := h.held[string(s)]
	return ok && len(s) > 0 && unsafe.StringData(string(s)) == unsafe.StringData(string(held))
}

// everyChildIDField is a message with a child id in every kind of field
// that carries one: a spec in an entry, the id list, a claim, a result,
// a local child and a handover item.
func everyChildIDField(ids ...core.ChildID) core.Message {
	m := core.Message{Kind: core.MsgReplicate, Hub: "h", From: "n1", Inc: 1}
	for i, id := range ids {
		m.Entries = append(m.Entries, core.Entry{Spec: core.ChildSpec{ID: id, Kind: "k"}, Epoch: uint64(i + 1)})
		m.IDs = append(m.IDs, id)
		m.Claims = append(m.Claims, core.Claim{ID: id, Epoch: 1, Instance: 1})
		m.Results = append(m.Results, core.ChildResult{ID: id, Nodes: []core.NodeID{"n1"}})
		m.Children = append(m.Children, core.LocalChild{ID: id, Kind: "k", Epoch: 1, Instance: 1})
		m.Handovers = append(m.Handovers, core.HandoverItem{ID: id, Epoch: 1, Instance: 1})
	}
	return m
}

// decodedIDs lists every child id of m in everyChildIDField's order.
func decodedIDs(m *core.Message) []core.ChildID {
	var out []core.ChildID
	for i := range m.Entries {
		out = append(out, m.Entries[i].Spec.ID, m.IDs[i], m.Claims[i].ID, m.Results[i].ID, m.Children[i].ID, m.Handovers[i].ID)
	}
	return out
}

// TestDecodeSharesKnownChildIDs: with a ChildIDSource, every child id
// field of a decoded message holds the source's own string for an id the
// source knows, and a copy for the others and for an id whose answer has
// other bytes; the message decodes equal to a decode without a source.
func TestDecodeSharesKnownChildIDs(t *testing.T) {
	m := everyChildIDField("known-1", "unknown", "known-a-long-child-id-over-15-bytes", "lied-about")
	b, err := EncodeMessageBinary(&m)
	if err != nil {
		t.Fatal(err)
	}
	src := newHeldIDs("known-1", "known-a-long-child-id-over-15-bytes", "lied-about")
	src.liar["lied-about"] = "other-bytes"
	got, err := decodeBinaryIDs(b, defaultMaxBatch, src.source)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := decodeBinary(b, defaultMaxBatch)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(plain, got); d != "" {
		t.Fatalf("decoded with a source differs from without (-without +with):\n%s", d)
	}
	for _, id := range decodedIDs(&got) {
		want := id == "known-1" || id == "known-a-long-child-id-over-15-bytes"
		if src.shares(id) != want {
			t.Errorf("id %q: shares the source's string = %v, want %v", id, src.shares(id), want)
		}
	}
}

// TestDecodeWithKnownIDsAllocatesNoID: decoding 100 entries whose ids the
// source knows allocates no id, and with a source that knows none as much
// as without one. Without a source the ids cost 10 allocations: the
// message's first arenaAfter strings one each, the other 92 ids (12
// bytes each) in 2 shared chunks (codec_binary_arena.go; one per id
// before).
func TestDecodeWithKnownIDsAllocatesNoID(t *testing.T) {
	m := batchMessage("n1", 100)
	b, err := EncodeMessageBinary(&m)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range m.Entries {
		ids = append(ids, string(e.Spec.ID))
	}
	all, none := newHeldIDs(ids...).source, newHeldIDs().source
	plain := testing.AllocsPerRun(20, func() { DecodeMessageBinary(b, defaultMaxBatch) })
	known := testing.AllocsPerRun(20, func() { decodeMessageBinary(b, defaultMaxBatch, all) })
	unknown := testing.AllocsPerRun(20, func() { decodeMessageBinary(b, defaultMaxBatch, none) })
	const idAllocs = arenaAfter + 2
	if known != plain-idAllocs || unknown != plain {
		t.Fatalf("decode allocations: %.0f without a source, %.0f with one knowing every id (want %.0f), %.0f with one knowing none (want %.0f)",
			plain, known, plain-idAllocs, unknown, plain)
	}
}

// TestTCPSharesKnownChildIDs: a TCP transport given a ChildIDSource
// delivers messages whose known ids are the source's strings; after
// SetChildIDs(nil) they are copies again.
func TestTCPSharesKnownChildIDs(t *testing.T) {
	checkNoLeak(t)
	a, b := newTestTCP(t, testConfig("n1")), newTestTCP(t, testConfig("n2"))
	a.SetAddress("n2", b.Addr())
	src := newHeldIDs("c-known")
	b.SetChildIDs(src.source)
	for round, wantShared := range []bool{true, false} {
		m := core.Message{Kind: core.MsgClaims, Hub: "test-hub", From: "n1", Inc: 1, Version: uint64(round + 1),
			Claims: []core.Claim{{ID: "c-known", Epoch: 1, Instance: 1}, {ID: "c-other", Epoch: 1, Instance: 2}}}
		if err := a.Send("n2", m); err != nil {
			t.Fatal(err)
		}
		in := recv(t, b, 10*time.Second)
		if len(in.Msg.Claims) != 2 || in.Msg.Claims[0].ID != "c-known" || in.Msg.Claims[1].ID != "c-other" {
			t.Fatalf("round %d: got claims %+v", round, in.Msg.Claims)
		}
		if got := src.shares(in.Msg.Claims[0].ID); got != wantShared {
			t.Errorf("round %d: the known id shares the source's string = %v, want %v", round, got, wantShared)
		}
		b.SetChildIDs(nil)
	}
}

// TestDecodeSourceSeesEveryChildID: the decoder asks the source about
// child ids only, each once per field, except a claim that names the
// child of the entry at its position: it shares that entry's string
// without asking.
func TestDecodeSourceSeesEveryChildID(t *testing.T) {
	m := everyChildIDField("x1", "x2")
	m.Acks = []core.NodeID{"n2"}
	b, err := EncodeMessageBinary(&m)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	src := func(b []byte) (core.ChildID, bool) { asked = append(asked, string(b)); return "", false }
	got, err := decodeBinaryIDs(b, defaultMaxBatch, src)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, id := range asked {
		count[id]++
	}
	if len(asked) != 10 || count["x1"] != 5 || count["x2"] != 5 {
		t.Fatalf("the source was asked %q, want x1 and x2 once in each of the five child id fields other than the claims", asked)
	}
	for i := range got.Claims {
		if unsafe.StringData(string(got.Claims[i].ID)) != unsafe.StringData(string(got.Entries[i].Spec.ID)) {
			t.Errorf("claim %d does not share its entry's id string", i)
		}
	}
	// Claims in another order than the entries ask the source.
	m.Claims[0], m.Claims[1] = m.Claims[1], m.Claims[0]
	b, _ = EncodeMessageBinary(&m)
	asked = nil
	if _, err := decodeBinaryIDs(b, defaultMaxBatch, src); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 12 {
		t.Fatalf("claims out of the entries' order: the source was asked %q, want 12 ids", asked)
	}
}
