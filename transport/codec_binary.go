package transport

import "github.com/phub/phub/core"

// Binary message encoding (FrameMessageBin payloads).
//
// A payload is one version byte, BinaryCodecVersion, followed by the
// message encoded as a struct:
//
//	struct  = flags uvarint, then the value of every present field in
//	          field order (the orders are listed below)
//	flags   : bit i is set iff field i is non-zero: a non-empty string,
//	          slice or map, a non-zero integer, a true bool. A bool's value
//	          is its bit alone; it has no bytes of its own.
//	uint    = uvarint (encoding/binary), minimal length; uint8 fields must
//	          be <= 255
//	int     = zig-zag varint (encoding/binary.AppendVarint), minimal length
//	string  = uvarint byte length, bytes (any bytes: no UTF-8 check)
//	slice   = uvarint count >= 1, the elements
//	map     = uvarint count >= 1, (key string, value string) pairs with
//	          keys in strictly increasing byte order
//
// Field orders: the tables of codec_binary_layout.go, which the encoder
// (codec_binary_encode.go) and the decoder (codec_binary_decode.go) both
// walk. Bit i of a struct's flags is the i-th field of its table; an
// inline struct (ChildSpec in Entry and StartItem) has no bit and is
// always encoded, after the flags. Claim.Ver is receiver-side bookkeeping
// and never sent.
//
// The encoding is canonical: a message has exactly one encoding, and the
// decoder rejects every other byte string (unknown flag bits, a present
// field holding its zero value, an empty slice or map, non-minimal
// varints, unsorted or duplicate map keys, trailing bytes). So
// encode(decode(b)) == b for every accepted b, and equal messages encode to
// equal bytes.
//
// Canonical form of a decoded message: empty and nil slices and maps are
// not told apart on the wire; the decoder always returns nil for them
// (State included), and Claim.Ver is always 0. JSON decoding of a message
// sent by this package gives the same values (encoding/json's omitempty
// drops empty slices and maps), except that JSON replaces invalid UTF-8 in
// strings with U+FFFD while the binary encoding keeps bytes exactly.
//
// Limits, all checked before allocating: every count and length must fit
// in the bytes that remain (each element takes at least one byte); the
// top-level slices together hold at most 4*maxBatch+1024 elements (the
// bound core.Message.Validate enforces afterwards); nested slices and maps
// together hold at most MaxBinaryNestedElems; a string is at most
// MaxBinaryStringBytes. The decoder therefore allocates at most a small
// multiple of its input.
//
// The version byte and the flags make the format strict, not extensible:
// a new field or meaning needs a new BinaryCodecVersion, which peers that
// do not know it reject with ErrBadPayload.
// (Fields 26-28, the parts of a split message, were added in place: a
// message that is not split encodes exactly as before, and a peer that
// predates them rejects a split part as it rejected the oversize message
// it replaces. Field 29, the Handovers of a batched handover or its
// acknowledgement, likewise: a handover of one child travels as before.
// Field 30, Busy, marks an anti-entropy digest of a large registry with
// writes in flight; a digest without it encodes as before, and a peer
// that predates it rejects a busy digest, whose sender then answers the
// peer's mismatch later or at its bound. Fields 31-33, ClaimDeltas,
// ClaimsLen and ClaimsHash, are an anti-entropy digest's claims digest,
// which replaced the full claim list every round (core/claimsdigest.go):
// a peer that predates them rejects such a digest, so a cluster must not
// mix versions across this change; every other message encodes as
// before.)

// BinaryCodecVersion is the first byte of every FrameMessageBin payload.
const BinaryCodecVersion = 1

// MaxBinaryStringBytes bounds every string (and is enforced when
// encoding, so a message the receiver would reject is not sent). It is
// core's wire ceiling, above every per-string limit of core.Limits.
const MaxBinaryStringBytes = core.MaxStringBytes

// MaxBinaryNestedElems bounds the elements of all nested slices and maps
// (replicas, pinned nodes, result nodes, params and metadata pairs) of one
// message.
const MaxBinaryNestedElems = 1 << 20
