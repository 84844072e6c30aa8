package transport

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	goflag "flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/phub/phub/core"
)

// The binary encoding is a wire format: peers of other versions read it,
// so a change of the codec must not change a single byte of what it
// sends. TestBinaryGolden pins the encodings of hand-made messages (one
// line each, readable in review) and a digest over generated ones, which
// reach every field, empty and nil values, map orders and split parts.

var rewriteGolden = goflag.Bool("rewrite-golden", false, "rewrite testdata/codec_binary_golden.txt from the current encoder")

const goldenFile = "testdata/codec_binary_golden.txt"

// goldenGenerated is how many generated messages of each generator the
// digest covers.
const goldenGenerated = 500

// goldenMessages are the hand-made messages of the golden file.
func goldenMessages() []struct {
	name string
	m    core.Message
} {
	parted := batchMessage("n1", 2)
	parted.PartOf, parted.Part, parted.Parts = 77, 1, 3
	return []struct {
		name string
		m    core.Message
	}{
		{"heartbeat", heartbeat("n1", 7)},
		{"sample", sampleMessage()},
		{"rich", richMessage()},
		{"batch3", batchMessage("n1", 3)},
		{"richBatch3", richBatchMessage("n1", 3)},
		{"claims3", claimsMessage("n1", 3)},
		{"parted", parted},
		{"handovers", core.Message{Kind: core.MsgHandover, Hub: "phub", From: "n1", Inc: 2, Handovers: []core.HandoverItem{
			{ID: "c1", Epoch: 3, Instance: 9, State: []byte("s1")}, {ID: "c2", Epoch: 1, Instance: 4, Shutdown: true}}}},
		{"claimsDigest", claimsDigestMessage()},
		{"detected", core.Message{Kind: core.MsgHeartbeat, Hub: "phub", From: "n1", Inc: 2, Members: []core.Member{
			{Name: "n1", Incarnation: 2, Status: core.StatusAlive}, {Name: "n2", Incarnation: 1, Status: core.StatusDown, Detected: true}}}},
		{"recovering", core.Message{Kind: core.MsgHeartbeat, Hub: "phub", From: "n1", Inc: 2, Members: []core.Member{
			{Name: "n1", Incarnation: 2, Status: core.StatusAlive, Cordoned: true, CordonVer: 2, Recovering: true}}}},
		{"empty", core.Message{}},
	}
}

// claimsDigestMessage is an anti-entropy digest with a claims digest
// (fields 31-33).
func claimsDigestMessage() core.Message {
	return core.Message{Kind: core.MsgDigest, Hub: "phub", From: "n1", Inc: 2, Digest: 0x9e3779b97f4a7c15, Count: 1000,
		ClaimDeltas: 17, ClaimsLen: 334, ClaimsHash: 0xdeadbeefcafef00d}
}

// generatedDigest encodes goldenGenerated examples of each generator and
// returns the SHA-256 of the encodings, each preceded by its length.
func generatedDigest(t *testing.T) string {
	h := sha256.New()
	for _, g := range []gens{{}, {utf8: true, valid: true}} {
		gen := g.message()
		for seed := range goldenGenerated {
			m := gen.Example(seed)
			// Handovers (field 29) and the claims digest (31-33) came
			// after this digest was pinned: it covers every older field,
			// the "handovers" and "claimsDigest" lines pin them.
			m.Handovers = nil
			m.ClaimDeltas, m.ClaimsLen, m.ClaimsHash = 0, 0, 0
			for i := range m.Members {
				m.Members[i].Detected = false   // member field 9 came later still: the "detected" line pins it
				m.Members[i].Recovering = false // member field 10 too: the "recovering" line pins it
			}
			b, err := EncodeMessageBinary(&m)
			if err != nil {
				t.Fatalf("generated %d: %v", seed, err)
			}
			fmt.Fprintf(h, "%d:", len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestBinaryGolden(t *testing.T) {
	var want bytes.Buffer
	fmt.Fprintf(&want, "# Binary encodings (hex) the codec must keep byte for byte; rewrite with\n")
	fmt.Fprintf(&want, "# go test ./transport -run TestBinaryGolden -rewrite-golden (only for a new BinaryCodecVersion).\n")
	for _, g := range goldenMessages() {
		b, err := EncodeMessageBinary(&g.m)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		fmt.Fprintf(&want, "%s %s\n", g.name, hex.EncodeToString(b))
		// The decoder reads the pinned bytes back to the message.
		got, err := decodeBinary(b, defaultMaxBatch)
		if err != nil {
			t.Fatalf("%s: decode: %v", g.name, err)
		}
		if d := cmp.Diff(g.m, got, canonical); d != "" {
			t.Errorf("%s: decode (-sent +got):\n%s", g.name, d)
		}
	}
	fmt.Fprintf(&want, "generated-%d-sha256 %s\n", goldenGenerated, generatedDigest(t))
	if *rewriteGolden {
		if err := os.WriteFile(goldenFile, want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) == want.String() {
		return
	}
	wantLines := goldenLines(have)
	for name, enc := range goldenLines(want.Bytes()) {
		if wantLines[name] != enc {
			t.Errorf("%s: encoding changed\nwant %s\n got %s", name, wantLines[name], enc)
		}
	}
	t.Errorf("%s differs from the current encoder (the wire format changed)", goldenFile)
}

// goldenLines maps each name of a golden file to its value.
func goldenLines(b []byte) map[string]string {
	out := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if name, val, ok := strings.Cut(s.Text(), " "); ok && !strings.HasPrefix(name, "#") {
			out[name] = val
		}
	}
	return out
}
