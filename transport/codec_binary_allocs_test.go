package transport

import (
	"testing"

	"github.com/phub/phub/core"
)

// TestBinaryCodecAllocs pins the codec's allocations: encoding allocates
// only the output; decoding nothing per repeated node name, kind or
// message, one slice per list of structs, and strings and string lists
// one each for a message's first arenaAfter, then in shared chunks
// (codec_binary_arena.go): the 100 ids of 12 bytes are 8 + 2 chunks (they
// were one string per child id, the hand-written codec's count).
func TestBinaryCodecAllocs(t *testing.T) {
	for _, c := range []struct {
		name       string
		m          core.Message
		dec, encTo float64
	}{
		{"heartbeat", heartbeat("n1", 7), 2, 0},
		{"batch100", batchMessage("n1", 100), 100 + arenaAfter + 2 + 4, 0},
		{"claims100", claimsMessage("n1", 100), arenaAfter + 2 + 3, 0},
	} {
		b, err := EncodeMessageBinary(&c.m)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 2*len(b)+binarySizeHint(&c.m))
		enc := testing.AllocsPerRun(20, func() { AppendMessageBinary(buf[:0], &c.m) })
		dec := testing.AllocsPerRun(20, func() { DecodeMessageBinary(b, defaultMaxBatch) })
		if enc != c.encTo || dec != c.dec {
			t.Errorf("%s: encode into a large buffer %.0f allocs (want %.0f), decode %.0f (want %.0f)", c.name, enc, c.encTo, dec, c.dec)
		}
	}
}
