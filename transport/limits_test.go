package transport

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/phub/phub/core"
)

// TestMessageBytesBoundsTheEncoding: core splits messages by
// core.MessageBytes, so it must never underestimate the binary encoding.
func TestMessageBytesBoundsTheEncoding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := gens{}.message().Draw(t, "m")
		b, err := AppendMessageBinary(nil, &m)
		if err != nil {
			t.Skip(err)
		}
		if bound := core.MessageBytes(&m); len(b) > bound {
			t.Fatalf("encoded %d bytes, core.MessageBytes says at most %d", len(b), bound)
		}
	})
}

// maxEntry is a registry entry at every default limit at once.
func maxEntry(l core.Limits, i int) core.Entry {
	name := func(c byte) core.NodeID { return core.NodeID(strings.Repeat(string(c), core.MaxNodeIDBytes)) }
	params := map[string]string{}
	for k := 0; k < l.MaxParams; k++ {
		key := fmt.Sprintf("p%03d", k)
		params[key] = strings.Repeat("v", l.MaxSpecBytes/l.MaxParams-len(key))
	}
	meta := core.Metadata{}
	for k := 0; k < l.MaxMetadataEntries; k++ {
		key := fmt.Sprintf("m%03d", k)
		meta[key] = strings.Repeat("w", l.MaxMetadataBytes/l.MaxMetadataEntries-len(key))
	}
	pins := make([]core.NodeID, l.MaxPinnedNodes)
	for k := range pins {
		pins[k] = name('p')
	}
	id := fmt.Sprintf("%0*d", l.MaxChildIDBytes, i)
	return core.Entry{
		Spec:     core.ChildSpec{ID: core.ChildID(id), Kind: strings.Repeat("k", l.MaxKindBytes), Params: params, Restart: core.Temporary},
		Metadata: meta, Epoch: 1 << 62, Stopped: true, Holder: name('h'), By: name('b'), Pinned: pins,
		Reason: strings.Repeat("r", 1024), StoppedAt: -1 << 62,
	}
}

// maxFillEntries bounds fillToLimit: a message of entries at every limit
// reaches MaxMessageBytes after a few dozen at the default limits.
const maxFillEntries = 4096

// fillToLimit returns a replicate message of entries at every limit, as
// many as fit l.MaxMessageBytes. The entry count is computed from one
// entry's size (every entry has the same size), not grown until the
// message is full, so the loop is bounded whatever the limits; limits
// under which one entry does not fit, or that would take more than
// maxFillEntries, fail the test.
func fillToLimit(t *testing.T, l core.Limits) core.Message {
	t.Helper()
	big := heartbeat("n1", 2)
	big.Kind = core.MsgReplicate
	empty := core.MessageBytes(&big)
	big.Entries = []core.Entry{maxEntry(l, 0)}
	per := core.MessageBytes(&big) - empty
	if per <= 0 {
		t.Fatalf("an entry at every limit takes %d bytes", per)
	}
	count := (l.MaxMessageBytes - empty) / per
	if count < 1 || count > maxFillEntries {
		t.Fatalf("limits %+v: an entry takes %d bytes, %d fit the message limit (want 1 to %d)", l, per, count, maxFillEntries)
	}
	for i := 1; i < count; i++ {
		big.Entries = append(big.Entries, maxEntry(l, i))
	}
	// Per-message framing may grow by a few bytes with the count: drop
	// the last entries if they no longer fit (at most count of them).
	for len(big.Entries) > 1 && core.MessageBytes(&big) > l.MaxMessageBytes {
		big.Entries = big.Entries[:len(big.Entries)-1]
	}
	if got := core.MessageBytes(&big); got > l.MaxMessageBytes || got+per <= l.MaxMessageBytes {
		t.Fatalf("%d entries take %d bytes, want the most that fit %d", len(big.Entries), got, l.MaxMessageBytes)
	}
	return big
}

// TestDefaultFrameCarriesTheLargestMessage proves the relation between
// core's limits table and the transport's frame limit: an entry at every
// limit is accepted by core's checks, a message of one such entry fits
// core.Limits.MaxMessageBytes, and its frame fits DefaultMaxFrameBytes.
func TestDefaultFrameCarriesTheLargestMessage(t *testing.T) {
	l := core.DefaultLimits()
	if DefaultMaxFrameBytes != FrameBytesFor(l) || FrameBytesFor(l) != l.MaxMessageBytes+frameHeaderBytes {
		t.Fatalf("DefaultMaxFrameBytes %d is not derived from core's limits (%d)", DefaultMaxFrameBytes, FrameBytesFor(l))
	}
	if MaxBinaryStringBytes < l.MaxParamBytes || MaxBinaryStringBytes < l.MaxMetadataBytes || MaxBinaryStringBytes < l.MaxChildIDBytes {
		t.Fatalf("the codec's string cap %d is below a per-string limit", MaxBinaryStringBytes)
	}
	if defaultMaxBatch != l.MaxBatch {
		t.Fatalf("transport's default MaxBatch %d differs from core's %d", defaultMaxBatch, l.MaxBatch)
	}
	e := maxEntry(l, 0)
	if err := l.CheckSpec(e.Spec); err != nil {
		t.Fatalf("the entry at every limit is refused: %v", err)
	}
	if err := l.CheckMetadata(e.Metadata); err != nil {
		t.Fatalf("the metadata at every limit is refused: %v", err)
	}
	longName := core.NodeID(strings.Repeat("n", core.MaxNodeIDBytes))
	m := core.Message{Kind: core.MsgReplicate, Hub: string(longName), From: longName, Origin: longName, Inc: 1 << 63,
		Seq: 1 << 63, Version: 1 << 63, Full: true, Err: core.ErrCode(strings.Repeat("e", 64)), PartOf: 1 << 63, Part: 1 << 40, Parts: 1 << 41,
		Entries: []core.Entry{e}}
	if b := core.MessageBytes(&m); b > l.MaxMessageBytes {
		t.Fatalf("one entry at every limit bounds to %d bytes, over MaxMessageBytes %d", b, l.MaxMessageBytes)
	}
	frame, err := AppendMessageFrame(nil, &m, DefaultMaxFrameBytes)
	if err != nil {
		t.Fatalf("the largest legal entry does not fit a default frame: %v", err)
	}
	t.Logf("largest single entry: frame of %d bytes, limit %d", len(frame), DefaultMaxFrameBytes)
}

// TestTCPDefaultsCarryCoreSizedMessages: two TCP transports with default
// config carry what a node with core's default limits sends: a message
// with more elements than the transport's old cap (5,000; core allows
// Limits.MaxBatch), and a message close to Limits.MaxMessageBytes made of
// entries at every limit (issue 9: 50,000 children on 2 nodes timed out
// because the transport refused core's batches).
func TestTCPDefaultsCarryCoreSizedMessages(t *testing.T) {
	checkNoLeak(t)
	l := core.DefaultLimits()
	ca, cb := testConfig("n1"), testConfig("n2")
	// A 4 MiB frame on a loaded machine takes longer than the test
	// config's 600 ms idle timeout to arrive (a read deadline per frame).
	ca.PingInterval, cb.PingInterval = 5*time.Second, 5*time.Second
	ca.WriteTimeout, cb.WriteTimeout = 20*time.Second, 20*time.Second
	a, b := newTestTCP(t, ca), newTestTCP(t, cb)
	a.SetAddress("n2", b.Addr())
	many := heartbeat("n1", 1)
	many.Kind = core.MsgClaims
	for i := 0; i < 50000; i++ {
		many.Claims = append(many.Claims, core.Claim{ID: core.ChildID(fmt.Sprintf("child-%05d", i)), Epoch: 1, Instance: uint64(i + 1), Active: true})
	}
	big := fillToLimit(t, l)
	for _, m := range []core.Message{many, big} {
		if err := a.Send("n2", m); err != nil {
			t.Fatalf("send %s of %d bytes: %v", m.Kind, core.MessageBytes(&m), err)
		}
	}
	if in := recv(t, b, 20*time.Second); len(in.Msg.Claims) != len(many.Claims) {
		t.Fatalf("got %s with %d claims, want %d", in.Msg.Kind, len(in.Msg.Claims), len(many.Claims))
	}
	if in := recv(t, b, 20*time.Second); len(in.Msg.Entries) != len(big.Entries) || in.Msg.Entries[len(big.Entries)-1].Spec.ID != big.Entries[len(big.Entries)-1].Spec.ID {
		t.Fatalf("got %s with %d entries, want %d", in.Msg.Kind, len(in.Msg.Entries), len(big.Entries))
	}
}
