package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/phub/phub/core"
)

// canonical compares messages modulo the binary codec's canonical form:
// nil and empty slices and maps are equal, and Claim.Ver (never sent) is
// ignored.
var canonical = cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(core.Claim{}, "Ver")}

// gens builds random core.Message values. With utf8 set every string is
// valid UTF-8 (JSON cannot carry anything else); valid restricts Kind,
// From and spec ids to values core.Message.Validate accepts.
type gens struct{ utf8, valid bool }

func (g gens) str() *rapid.Generator[string] {
	var s *rapid.Generator[string]
	if g.utf8 {
		s = rapid.String()
	} else {
		s = rapid.Map(rapid.SliceOfN(rapid.Byte(), 0, 20), func(b []byte) string { return string(b) })
	}
	return rapid.OneOf(rapid.Just(""), rapid.SampledFrom([]string{"n1", "n2", "counter", "tag"}), s)
}

// errCode draws a message's error code; valid generators keep it within
// the limit Validate enforces (64 bytes), counted in bytes, not runes.
func (g gens) errCode() *rapid.Generator[string] {
	if !g.valid {
		return g.str()
	}
	return rapid.Map(g.str(), func(s string) string {
		for len(s) > 64 {
			_, n := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-n]
		}
		return s
	})
}

func (g gens) nonEmpty() *rapid.Generator[string] {
	return rapid.Map(g.str(), func(s string) string { return "x" + s })
}

func (g gens) node() *rapid.Generator[core.NodeID] {
	return rapid.Map(g.str(), func(s string) core.NodeID { return core.NodeID(s) })
}

func (g gens) nodes() *rapid.Generator[[]core.NodeID] {
	return rapid.OneOf(rapid.Just[[]core.NodeID](nil), rapid.SliceOfN(g.node(), 0, 4))
}

func (g gens) smap() *rapid.Generator[map[string]string] {
	return rapid.OneOf(rapid.Just[map[string]string](nil), rapid.MapOfN(g.str(), g.str(), 0, 4))
}

func (g gens) u64() *rapid.Generator[uint64] {
	return rapid.OneOf(rapid.Just[uint64](0), rapid.Uint64())
}

func (g gens) spec() *rapid.Generator[core.ChildSpec] {
	return rapid.Custom(func(t *rapid.T) core.ChildSpec {
		id := g.str()
		restart := rapid.Uint8()
		if g.valid {
			id = g.nonEmpty()
			restart = rapid.SampledFrom([]uint8{0, 1, 2})
		}
		return core.ChildSpec{
			ID:      core.ChildID(id.Draw(t, "id")),
			Kind:    g.str().Draw(t, "kind"),
			Params:  g.smap().Draw(t, "params"),
			Restart: core.RestartPolicy(restart.Draw(t, "restart")),
		}
	})
}

func (g gens) message() *rapid.Generator[core.Message] {
	return rapid.Custom(func(t *rapid.T) core.Message {
		str, u64, node := g.str(), g.u64(), g.node()
		kind := rapid.Uint8()
		from := g.node()
		if g.valid {
			kind = rapid.Map(rapid.IntRange(int(core.MsgJoin), int(core.MsgGossip)), func(i int) uint8 { return uint8(i) })
			from = rapid.Map(g.nonEmpty(), func(s string) core.NodeID { return core.NodeID(s) })
		}
		m := core.Message{
			Kind: core.MsgKind(kind.Draw(t, "kind")), Hub: str.Draw(t, "hub"), From: from.Draw(t, "from"),
			Inc: u64.Draw(t, "inc"), Seq: u64.Draw(t, "seq"), Op: core.Op(rapid.Uint8().Draw(t, "op")),
			Origin: node.Draw(t, "origin"), OriginInc: u64.Draw(t, "originInc"), ToInc: u64.Draw(t, "toInc"),
			Hops: rapid.Uint8().Draw(t, "hops"), Full: rapid.Bool().Draw(t, "full"),
			Epoch: u64.Draw(t, "epoch"), Err: core.ErrCode(g.errCode().Draw(t, "err")), Digest: u64.Draw(t, "digest"),
			Version: u64.Draw(t, "version"), Count: rapid.OneOf(rapid.Just(0), rapid.Int()).Draw(t, "count"),
			CheckExisting: rapid.Bool().Draw(t, "check"), Busy: rapid.Bool().Draw(t, "busy"),
		}
		if rapid.Bool().Draw(t, "hasState") {
			m.State = rapid.SliceOfN(rapid.Byte(), 0, 16).Draw(t, "state")
		}
		if rapid.Bool().Draw(t, "parted") {
			m.Parts = rapid.IntRange(2, 100).Draw(t, "parts")
			m.Part = rapid.IntRange(0, m.Parts-1).Draw(t, "part")
			m.PartOf = rapid.Uint64Range(1, 1<<40).Draw(t, "partOf")
		}
		m.Members = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.Member {
			return core.Member{Name: node.Draw(t, "name"), Incarnation: u64.Draw(t, "inc"),
				Status: core.MemberStatus(rapid.Uint8().Draw(t, "status")), Addr: str.Draw(t, "addr"),
				Cordoned: rapid.Bool().Draw(t, "cordoned"), CordonVer: u64.Draw(t, "cordonVer"), Beat: u64.Draw(t, "beat"),
				SyncStamp: u64.Draw(t, "syncStamp")}
		}), 0, 3).Draw(t, "members")
		m.Items = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.StartItem {
			return core.StartItem{Spec: g.spec().Draw(t, "spec"), Metadata: g.smap().Draw(t, "meta"), Pinned: g.nodes().Draw(t, "pinned")}
		}), 0, 3).Draw(t, "items")
		m.IDs = rapid.SliceOfN(rapid.Map(str, func(s string) core.ChildID { return core.ChildID(s) }), 0, 4).Draw(t, "ids")
		m.Entries = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.Entry {
			return core.Entry{
				Spec: g.spec().Draw(t, "spec"), Metadata: g.smap().Draw(t, "meta"), Epoch: u64.Draw(t, "epoch"),
				Stopped: rapid.Bool().Draw(t, "stopped"), Holder: node.Draw(t, "holder"), By: node.Draw(t, "by"),
				Pinned: g.nodes().Draw(t, "pinned"), Reason: str.Draw(t, "reason"),
				StoppedAt: core.Instant(rapid.OneOf(rapid.Just[int64](0), rapid.Int64()).Draw(t, "stoppedAt")),
				Replicas: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.Replica {
					return core.Replica{Node: node.Draw(t, "node"), Incarnation: u64.Draw(t, "inc"),
						Epoch: u64.Draw(t, "epoch"), Active: rapid.Bool().Draw(t, "active")}
				}), 0, 3).Draw(t, "replicas"),
			}
		}), 0, 4).Draw(t, "entries")
		m.Claims = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.Claim {
			return core.Claim{ID: core.ChildID(str.Draw(t, "id")), Epoch: u64.Draw(t, "epoch"),
				Instance: u64.Draw(t, "instance"), Active: rapid.Bool().Draw(t, "active"),
				Removed: rapid.Bool().Draw(t, "removed"), Ver: u64.Draw(t, "ver")}
		}), 0, 4).Draw(t, "claims")
		m.Results = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.ChildResult {
			return core.ChildResult{ID: core.ChildID(str.Draw(t, "id")), Nodes: g.nodes().Draw(t, "nodes"),
				Epoch: u64.Draw(t, "epoch"), Err: core.ErrCode(str.Draw(t, "err")), Detail: str.Draw(t, "detail"),
				Metadata: g.smap().Draw(t, "meta")}
		}), 0, 3).Draw(t, "results")
		m.Children = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.LocalChild {
			return core.LocalChild{ID: core.ChildID(str.Draw(t, "id")), Kind: str.Draw(t, "kind"),
				Epoch: u64.Draw(t, "epoch"), Instance: u64.Draw(t, "instance"), Status: str.Draw(t, "status"),
				Active: rapid.Bool().Draw(t, "active")}
		}), 0, 3).Draw(t, "children")
		m.Acks = g.nodes().Draw(t, "acks")
		m.Handovers = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) core.HandoverItem {
			h := core.HandoverItem{ID: core.ChildID(str.Draw(t, "id")), Epoch: u64.Draw(t, "epoch"),
				Instance: u64.Draw(t, "instance"), Shutdown: rapid.Bool().Draw(t, "shutdown")}
			if rapid.Bool().Draw(t, "hasState") {
				h.State = rapid.SliceOfN(rapid.Byte(), 0, 16).Draw(t, "state")
			}
			return h
		}), 0, 3).Draw(t, "handovers")
		if g.valid && (len(m.IDs) > 0 || (m.Kind != core.MsgHandover && m.Kind != core.MsgHandoverAck)) {
			m.Handovers = nil // Validate: a batch only in a handover, without IDs
		}
		// The claims digest (fields 31-33) is drawn last, so the values
		// drawn before it are those TestBinaryGolden's digest pinned.
		claimCount := rapid.OneOf(rapid.Just(0), rapid.Int())
		if g.valid {
			claimCount = rapid.OneOf(rapid.Just(0), rapid.IntRange(0, 1<<40)) // Validate: not negative
		}
		m.ClaimDeltas, m.ClaimsLen = claimCount.Draw(t, "claimDeltas"), claimCount.Draw(t, "claimsLen")
		m.ClaimsHash = u64.Draw(t, "claimsHash")
		// A member's Detected (member field 9) is drawn after them, for
		// the same reason.
		for i := range m.Members {
			m.Members[i].Detected = rapid.Bool().Draw(t, "detected")
		}
		// A member's Recovering (member field 10) likewise.
		for i := range m.Members {
			m.Members[i].Recovering = rapid.Bool().Draw(t, "recovering")
		}
		return m
	})
}

// TestBinaryRoundTripProperty: every message, including ones Validate
// rejects and strings of arbitrary bytes, decodes to itself modulo the
// canonical form, and the encoding is canonical (re-encoding the decoded
// message gives the same bytes).
func TestBinaryRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := gens{}.message().Draw(t, "m")
		b, err := EncodeMessageBinary(&m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeBinary(b, defaultMaxBatch)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if d := cmp.Diff(m, got, canonical); d != "" {
			t.Fatalf("roundtrip (-sent +got):\n%s", d)
		}
		again, err := EncodeMessageBinary(&got)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %v\n%x\n%x", err, b, again)
		}
		// Every proper prefix is rejected (no silent truncation).
		cut := rapid.IntRange(0, len(b)-1).Draw(t, "cut")
		if _, err := decodeBinary(b[:cut], defaultMaxBatch); !errors.Is(err, ErrBadPayload) {
			t.Fatalf("prefix of %d/%d bytes: %v", cut, len(b), err)
		}
	})
}

// TestBinaryMatchesJSONProperty: for valid messages with UTF-8 strings,
// the binary path (encode, DecodeMessageBinary) and the JSON path
// (EncodeMessage, DecodeMessage) deliver exactly the same value, nil vs
// empty included: both return nil for empty slices and maps.
func TestBinaryMatchesJSONProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := gens{utf8: true, valid: true}.message().Draw(t, "m")
		jp, err := EncodeMessage(&m)
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := DecodeMessage(jp, defaultMaxBatch)
		if err != nil {
			t.Fatalf("json decode: %v", err)
		}
		bp, err := EncodeMessageBinary(&m)
		if err != nil {
			t.Fatal(err)
		}
		fromBin, err := DecodeMessageBinary(bp, defaultMaxBatch)
		if err != nil {
			t.Fatalf("binary decode: %v", err)
		}
		if d := cmp.Diff(fromJSON, fromBin); d != "" {
			t.Fatalf("json vs binary (-json +binary):\n%s", d)
		}
		if d := cmp.Diff(m, fromBin, canonical); d != "" {
			t.Fatalf("roundtrip (-sent +got):\n%s", d)
		}
		// And the same through frames.
		fb, err := AppendMessageFrame(nil, &m, 0)
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := DecodeFrame(fb, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := DecodeMessageFrame(f, defaultMaxBatch); err != nil || !cmp.Equal(got, fromBin) {
			t.Fatalf("frame: %v", err)
		}
	})
}

func TestBinaryDeterministicMaps(t *testing.T) {
	big := map[string]string{}
	for i := range 50 {
		big[fmt.Sprintf("k%02d", 49-i)] = fmt.Sprint(i)
	}
	m := core.Message{Kind: core.MsgReplicate, From: "a", Entries: []core.Entry{{Spec: core.ChildSpec{ID: "c", Params: big}, Metadata: big}}}
	first, _ := EncodeMessageBinary(&m)
	for range 20 {
		cp := map[string]string{}
		for k, v := range big {
			cp[k] = v
		}
		m.Entries[0].Metadata = cp
		if b, _ := EncodeMessageBinary(&m); !bytes.Equal(b, first) {
			t.Fatal("map encoding depends on iteration order")
		}
	}
	if !bytes.Contains(first, []byte("\x03k00\x0249\x03k01\x0248")) {
		t.Fatalf("keys not sorted: %q", first)
	}
}

// binPayload builds a payload by hand: the version byte, then each part
// (a uint64 as a uvarint, a string as a length-prefixed string, []byte raw).
func binPayload(parts ...any) []byte {
	b := []byte{BinaryCodecVersion}
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = binary.AppendUvarint(b, uint64(p))
		case uint64:
			b = binary.AppendUvarint(b, p)
		case string:
			b = binary.AppendUvarint(b, uint64(len(p)))
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic(p)
		}
	}
	return b
}

func TestDecodeBinaryErrors(t *testing.T) {
	const hb = mKind | mFrom // a heartbeat's flags: kind 3, from "a"
	ok := binPayload(hb, 3, "a")
	if _, err := DecodeMessageBinary(ok, 10); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	entry := func(parts ...any) []byte { // a message carrying one entry
		return binPayload(append([]any{hb | mEntries, 7, "a", 1}, parts...)...)
	}
	if _, err := DecodeMessageBinary(entry(0, spID, "c"), 10); err != nil {
		t.Fatalf("baseline entry: %v", err)
	}
	many := bytes.Repeat([]byte{0}, MaxBinaryNestedElems+1)
	for _, c := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrBadPayload, "empty"},
		{"version 0", append([]byte{0}, ok[1:]...), ErrBadPayload, "version"},
		{"version 2", append([]byte{2}, ok[1:]...), ErrBadPayload, "version"},
		{"trailing", append(append([]byte{}, ok...), 0), ErrBadPayload, "trailing"},
		{"truncated", ok[:len(ok)-1], ErrBadPayload, "exceeds"},
		{"unknown message bit", binPayload(hb|mEnd, 3, "a"), ErrBadPayload, "unknown field bits"},
		{"unknown entry bit", entry(enEnd, spID, "c"), ErrBadPayload, "unknown field bits"},
		{"present zero", binPayload(hb|mSeq, 3, "a", 0), ErrBadPayload, "present but zero"},
		{"present empty string", binPayload(hb|mHub, 3, "", "a"), ErrBadPayload, "present but empty"},
		{"present empty slice", binPayload(hb|mIDs, 3, "a", 0), ErrBadPayload, "present but empty"},
		{"non-minimal varint", binPayload(hb, []byte{0x83, 0x00}, "a"), ErrBadPayload, "non-minimal"},
		{"varint overflow", binPayload(hb|mSeq, 3, "a", bytes.Repeat([]byte{0xff}, 10), 1), ErrBadPayload, "overflows"},
		{"uint8 overflow", binPayload(hb, 256+3, "a"), ErrBadPayload, "overflows uint8"},
		{"unsorted keys", entry(enMeta, spID, "c", 2, "b", "", "a", ""), ErrBadPayload, "strictly increasing"},
		{"duplicate keys", entry(enMeta, spID, "c", 2, "a", "", "a", ""), ErrBadPayload, "strictly increasing"},
		{"string longer than input", binPayload(hb, 3, uint64(1<<62)), ErrBadPayload, "exceeds"},
		{"string over cap", binPayload(hb, 3, uint64(MaxBinaryStringBytes+1), strings.Repeat("a", MaxBinaryStringBytes+1)), ErrBadPayload, "limit"},
		{"count over input", binPayload(hb|mIDs, 3, "a", 5, "x"), ErrBadPayload, "cannot fit"},
		{"count over batch", binPayload(hb|mIDs, 3, "a", 1025+40, bytes.Repeat([]byte{0}, 1025+40)), ErrBadPayload, "exceed the limit"},
		{"batch summed over slices", binPayload(hb|mIDs|mAcks, 3, "a", 1000, bytes.Repeat([]byte{0}, 1000), 65, bytes.Repeat([]byte{0}, 65)), ErrBadPayload, "exceed the limit"},
		{"nested over limit", entry(enPinned, spID, "c", MaxBinaryNestedElems+1, many), ErrBadPayload, "exceed the limit"},
		{"invalid kind", binPayload(hb, 99, "a"), ErrInvalidMessage, "unknown kind"},
		{"no sender", binPayload(mKind, 3), ErrInvalidMessage, "empty sender"},
		{"invalid spec", entry(0, 0), ErrInvalidMessage, "empty child id"},
	} {
		_, err := DecodeMessageBinary(c.in, 10)
		if !errors.Is(err, c.want) || !strings.Contains(fmt.Sprint(err), c.msg) {
			t.Errorf("%s: got %v, want %v containing %q", c.name, err, c.want, c.msg)
		}
	}
}

// TestDecodeBinaryHostileCountsAllocateLittle: a tiny payload claiming a
// huge element count (2^40 entries, 2^62 replicas, a 2^40-byte string...)
// fails with an error before allocating for it.
func TestDecodeBinaryHostileCountsAllocateLittle(t *testing.T) {
	const hb = mKind | mFrom
	cases := map[string][]byte{
		"entries 2^40":  binPayload(hb|mEntries, 7, "a", uint64(1)<<40),
		"claims 2^40":   binPayload(hb|mClaims, 9, "a", uint64(1)<<40),
		"replicas 2^62": binPayload(hb|mEntries, 7, "a", 1, enReplicas, spID, "c", uint64(1)<<62),
		"params 2^40":   binPayload(hb|mEntries, 7, "a", 1, 0, spID|spParams, "c", uint64(1)<<40),
		"string 2^40":   binPayload(hb, 7, uint64(1)<<40),
		"state 2^40":    binPayload(hb|mState, 7, "a", uint64(1)<<40),
		"ids 2^40":      binPayload(mIDs, uint64(1)<<40),
		"5 bytes":       {BinaryCodecVersion, 0x80, 0x20, 0xff, 0x7f}, // flags mIDs, 16383 ids
	}
	for name, p := range cases {
		if _, err := DecodeMessageBinary(p, defaultMaxBatch); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v, want ErrBadPayload", name, err)
		}
		allocs := testing.AllocsPerRun(100, func() { DecodeMessageBinary(p, defaultMaxBatch) })
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 100 {
			DecodeMessageBinary(p, defaultMaxBatch)
		}
		runtime.ReadMemStats(&after)
		perRun := (after.TotalAlloc - before.TotalAlloc) / 100
		t.Logf("%s (%d bytes): %.0f allocs, %d bytes per decode", name, len(p), allocs, perRun)
		if allocs > 10 || perRun > 4096 {
			t.Errorf("%s: %.0f allocs, %d bytes per decode", name, allocs, perRun)
		}
	}
}

func TestBinaryEncodeLimits(t *testing.T) {
	m := core.Message{Kind: core.MsgHeartbeat, From: "a", Hub: strings.Repeat("h", MaxBinaryStringBytes+1)}
	if _, err := EncodeMessageBinary(&m); !errors.Is(err, ErrBadPayload) {
		t.Fatalf("oversize string: %v", err)
	}
	dst := []byte("keep")
	out, err := AppendMessageFrame(dst, &m, 0)
	if err == nil || string(out) != "keep" {
		t.Fatalf("failed append must leave dst alone: %q %v", out, err)
	}
	m.Hub = "h"
	m.State = make([]byte, 4096)
	if _, err := AppendMessageFrame(nil, &m, 1024); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversize frame: %v", err)
	}
	// Claim.Ver never travels.
	c := core.Message{Kind: core.MsgClaims, From: "a", Claims: []core.Claim{{ID: "c", Ver: 99}}}
	b, _ := EncodeMessageBinary(&c)
	got, err := DecodeMessageBinary(b, 10)
	if err != nil || got.Claims[0].Ver != 0 {
		t.Fatalf("Ver sent: %v %+v", err, got.Claims)
	}
}

// richMessage carries one of everything, as a fuzz seed and test value.
func richMessage() core.Message {
	m := sampleMessage()
	m.Op, m.Origin, m.OriginInc, m.ToInc, m.Hops = core.OpStart, "n2", 4, 5, 2
	m.Items = []core.StartItem{{Spec: core.ChildSpec{ID: "s", Kind: "exec", Restart: core.Temporary, Params: map[string]string{"a": "1", "b": ""}},
		Metadata: core.Metadata{"tag": "t"}, Pinned: []core.NodeID{"n1", "n2"}}}
	m.IDs = []core.ChildID{"c1", "c2"}
	m.Entries = append(m.Entries, core.Entry{Spec: core.ChildSpec{ID: "dead"}, Epoch: 9, Stopped: true, Holder: "n2", By: "n3",
		Pinned: []core.NodeID{"n2"}, Reason: "exited", StoppedAt: -12345})
	m.Claims = []core.Claim{{ID: "c1", Epoch: 2, Instance: 7, Active: true}, {ID: "c2", Removed: true}}
	m.Full, m.CheckExisting = true, true
	m.Results = []core.ChildResult{{ID: "c1", Nodes: []core.NodeID{"n1"}, Epoch: 3, Err: "no_node", Detail: "why", Metadata: core.Metadata{"x": "y"}}}
	m.Children = []core.LocalChild{{ID: "c1", Kind: "counter", Epoch: 1, Instance: 2, Status: "running", Active: true}}
	m.Epoch, m.Err, m.Digest, m.Version, m.Count = 8, "partitioned", 1<<63, 3, -4
	return m
}

func TestBinaryRichMessage(t *testing.T) {
	m := richMessage()
	b, err := EncodeMessageBinary(&m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMessageBinary(b, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(m, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	j, _ := EncodeMessage(&m)
	t.Logf("rich message: %d bytes binary, %d bytes JSON", len(b), len(j))
}

func FuzzDecodeBinaryMessage(f *testing.F) {
	seeds := []core.Message{sampleMessage(), richMessage(), heartbeat("n1", 7), batchMessage("n1", 5), claimsMessage("n1", 5),
		{Kind: core.MsgHandover, Hub: "phub", From: "n1", Inc: 2, Handovers: []core.HandoverItem{ // a batch (field 29)
			{ID: "c1", Epoch: 3, Instance: 9, State: []byte("s1")}, {ID: "c2", Epoch: 1, Instance: 4, Shutdown: true}}},
		claimsDigestMessage(), // fields 31-33
		{Kind: core.MsgClaims, Hub: "phub", From: "n1", Inc: 2, Seq: 4, Version: 6, Count: 3, // a claim delta with its replication round (core/claimround.go)
			Entries: []core.Entry{{Spec: core.ChildSpec{ID: "c1", Kind: "k"}, Epoch: 2, Stopped: true, Holder: "n1", By: "n1", Reason: "stopped", StoppedAt: 7}},
			Claims:  []core.Claim{{ID: "c1", Epoch: 1, Instance: 3, Removed: true}}},
		{Kind: core.MsgPing, Hub: "phub", From: "n1", Inc: 2, Seq: 5, Digest: 9, Members: []core.Member{ // a member's sync stamp (member field 8)
			{Name: "n1", Incarnation: 2, Status: core.StatusAlive, Beat: 3, SyncStamp: 1<<63 | 12345}}},
		{Kind: core.MsgHeartbeat, Hub: "phub", From: "n1", Inc: 2, Members: []core.Member{ // a member declared down by a detector (member field 9)
			{Name: "n1", Incarnation: 2, Status: core.StatusAlive}, {Name: "n2", Incarnation: 1, Status: core.StatusDown, Detected: true}}},
		{Kind: core.MsgHeartbeat, Hub: "phub", From: "n1", Inc: 2, Members: []core.Member{ // a member cordoned for its recovery wait (member field 10)
			{Name: "n1", Incarnation: 2, Status: core.StatusAlive, Cordoned: true, CordonVer: 2, Recovering: true}}},
	}
	for i := range seeds {
		b, err := EncodeMessageBinary(&seeds[i])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range [][]byte{nil, {1}, {1, 0}, {2, 0}, {1, 0x80}, {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		binPayload(mKind|mFrom|mEntries, 7, "a", uint64(1)<<40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, rerr := decodeBinary(b, 100)
		m, err := DecodeMessageBinary(b, 100)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) && !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("unclassified error: %v", err)
			}
			if errors.Is(err, ErrInvalidMessage) != (rerr == nil) {
				t.Fatalf("decodeBinary %v vs DecodeMessageBinary %v", rerr, err)
			}
		} else if rerr != nil || !cmp.Equal(raw, m) {
			t.Fatalf("decodeBinary disagrees: %v", rerr)
		}
		// A source of known child ids (childids.go) changes no outcome:
		// this one knows the ids of even length and lies about the
		// others.
		shared, serr := decodeBinaryIDs(b, 100, func(id []byte) (core.ChildID, bool) {
			if len(id)%2 == 0 {
				return core.ChildID(id), true
			}
			return "lie", true
		})
		if (serr == nil) != (rerr == nil) || !cmp.Equal(shared, raw) {
			t.Fatalf("decoding with a source of ids disagrees: %v vs %v", serr, rerr)
		}
		if rerr != nil {
			return
		}
		// The encoding is canonical: whatever decodes re-encodes to
		// exactly the input.
		again, err := EncodeMessageBinary(&raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n in %x\nout %x", b, again)
		}
	})
}
