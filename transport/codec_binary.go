package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/phub/phub/core"
)

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
// Field orders (bit numbers):
//
//	Message     0 Kind, 1 Hub, 2 From, 3 Inc, 4 Seq, 5 Op, 6 Origin,
//	            7 OriginInc, 8 ToInc, 9 Hops, 10 Members, 11 Items, 12 IDs,
//	            13 Entries, 14 Claims, 15 Full, 16 Results, 17 Children,
//	            18 State, 19 Epoch, 20 Err, 21 Digest, 22 Version,
//	            23 Count (int), 24 Acks, 25 CheckExisting, 26 PartOf,
//	            27 Part (int), 28 Parts (int)
//	Member      0 Name, 1 Incarnation, 2 Status, 3 Addr, 4 Cordoned,
//	            5 CordonVer
//	StartItem   (flags, then Spec as a struct, always) 0 Metadata, 1 Pinned
//	ChildSpec   0 ID, 1 Kind, 2 Params, 3 Restart
//	Entry       (flags, then Spec as a struct, always) 0 Metadata, 1 Epoch,
//	            2 Stopped, 3 Holder, 4 By, 5 Pinned, 6 Reason,
//	            7 StoppedAt (int), 8 Replicas
//	Replica     0 Node, 1 Incarnation, 2 Epoch, 3 Active
//	Claim       0 ID, 1 Epoch, 2 Instance, 3 Active, 4 Removed
//	            (Claim.Ver is receiver-side bookkeeping and never sent)
//	ChildResult 0 ID, 1 Nodes, 2 Epoch, 3 Err, 4 Detail, 5 Metadata
//	LocalChild  0 ID, 1 Kind, 2 Epoch, 3 Instance, 4 Status, 5 Active
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
// it replaces.)

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

// Field bits of core.Message.
const (
	mKind = 1 << iota
	mHub
	mFrom
	mInc
	mSeq
	mOp
	mOrigin
	mOriginInc
	mToInc
	mHops
	mMembers
	mItems
	mIDs
	mEntries
	mClaims
	mFull
	mResults
	mChildren
	mState
	mEpoch
	mErr
	mDigest
	mVersion
	mCount
	mAcks
	mCheckExisting
	mPartOf
	mPart
	mParts
	mEnd
)

// Field bits of the nested structs.
const (
	memName, memInc, memStatus, memAddr, memCordoned, memCordonVer, memEnd = 1, 2, 4, 8, 16, 32, 64
	siMeta, siPinned, siEnd                                                = 1, 2, 4
	spID, spKind, spParams, spRestart, spEnd                               = 1, 2, 4, 8, 16
	rpNode, rpInc, rpEpoch, rpActive, rpEnd                                = 1, 2, 4, 8, 16
	clID, clEpoch, clInstance, clActive, clRemoved, clEnd                  = 1, 2, 4, 8, 16, 32
	crID, crNodes, crEpoch, crErr, crDetail, crMeta, crEnd                 = 1, 2, 4, 8, 16, 32, 64
	lcID, lcKind, lcEpoch, lcInstance, lcStatus, lcActive                  = 1, 2, 4, 8, 16, 32
	lcEnd                                                                  = 64
	enMeta, enEpoch, enStopped, enHolder, enBy, enPinned                   = 1, 2, 4, 8, 16, 32
	enReason, enStoppedAt, enReplicas, enEnd                               = 64, 128, 256, 512
)

// ---------------------------------------------------------------- encoding

type binEncoder struct {
	b   []byte
	kv  [][2]string // scratch for sorting map pairs
	err error
}

func (e *binEncoder) uv(v uint64) {
	if v < 0x80 {
		e.b = append(e.b, byte(v))
		return
	}
	e.b = binary.AppendUvarint(e.b, v)
}

func (e *binEncoder) str(s string) {
	if len(s) > MaxBinaryStringBytes {
		if e.err == nil {
			e.err = fmt.Errorf("%w: string of %d bytes exceeds %d", ErrBadPayload, len(s), MaxBinaryStringBytes)
		}
		return
	}
	e.uv(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *binEncoder) strs(ss []core.NodeID) {
	e.uv(uint64(len(ss)))
	for _, s := range ss {
		e.str(string(s))
	}
}

func (e *binEncoder) smap(m map[string]string) {
	e.uv(uint64(len(m)))
	if len(m) == 1 { // the common case: no sorting, no scratch
		for k, v := range m {
			e.str(k)
			e.str(v)
		}
		return
	}
	kv := e.kv[:0]
	for k, v := range m {
		kv = append(kv, [2]string{k, v})
	}
	if len(kv) <= 8 {
		for i := 1; i < len(kv); i++ { // insertion sort
			for j := i; j > 0 && kv[j][0] < kv[j-1][0]; j-- {
				kv[j], kv[j-1] = kv[j-1], kv[j]
			}
		}
	} else {
		slices.SortFunc(kv, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	}
	for _, p := range kv {
		e.str(p[0])
		e.str(p[1])
	}
	clear(kv)
	e.kv = kv[:0]
}

func flag(cond bool, bit uint64) uint64 {
	if cond {
		return bit
	}
	return 0
}

func (e *binEncoder) spec(s *core.ChildSpec) {
	f := flag(s.ID != "", spID) | flag(s.Kind != "", spKind) | flag(len(s.Params) > 0, spParams) | flag(s.Restart != 0, spRestart)
	e.uv(f)
	if f&spID != 0 {
		e.str(string(s.ID))
	}
	if f&spKind != 0 {
		e.str(s.Kind)
	}
	if f&spParams != 0 {
		e.smap(s.Params)
	}
	if f&spRestart != 0 {
		e.uv(uint64(s.Restart))
	}
}

func (e *binEncoder) entry(en *core.Entry) {
	f := flag(len(en.Metadata) > 0, enMeta) | flag(en.Epoch != 0, enEpoch) | flag(en.Stopped, enStopped) |
		flag(en.Holder != "", enHolder) | flag(en.By != "", enBy) | flag(len(en.Pinned) > 0, enPinned) |
		flag(en.Reason != "", enReason) | flag(en.StoppedAt != 0, enStoppedAt) | flag(len(en.Replicas) > 0, enReplicas)
	e.uv(f)
	e.spec(&en.Spec)
	if f&enMeta != 0 {
		e.smap(en.Metadata)
	}
	if f&enEpoch != 0 {
		e.uv(en.Epoch)
	}
	if f&enHolder != 0 {
		e.str(string(en.Holder))
	}
	if f&enBy != 0 {
		e.str(string(en.By))
	}
	if f&enPinned != 0 {
		e.strs(en.Pinned)
	}
	if f&enReason != 0 {
		e.str(en.Reason)
	}
	if f&enStoppedAt != 0 {
		e.b = binary.AppendVarint(e.b, int64(en.StoppedAt))
	}
	if f&enReplicas != 0 {
		e.uv(uint64(len(en.Replicas)))
		for i := range en.Replicas {
			r := &en.Replicas[i]
			rf := flag(r.Node != "", rpNode) | flag(r.Incarnation != 0, rpInc) | flag(r.Epoch != 0, rpEpoch) | flag(r.Active, rpActive)
			e.uv(rf)
			if rf&rpNode != 0 {
				e.str(string(r.Node))
			}
			if rf&rpInc != 0 {
				e.uv(r.Incarnation)
			}
			if rf&rpEpoch != 0 {
				e.uv(r.Epoch)
			}
		}
	}
}

func (e *binEncoder) message(m *core.Message) {
	f := flag(m.Kind != 0, mKind) | flag(m.Hub != "", mHub) | flag(m.From != "", mFrom) | flag(m.Inc != 0, mInc) |
		flag(m.Seq != 0, mSeq) | flag(m.Op != 0, mOp) | flag(m.Origin != "", mOrigin) | flag(m.OriginInc != 0, mOriginInc) |
		flag(m.ToInc != 0, mToInc) | flag(m.Hops != 0, mHops) | flag(len(m.Members) > 0, mMembers) |
		flag(len(m.Items) > 0, mItems) | flag(len(m.IDs) > 0, mIDs) | flag(len(m.Entries) > 0, mEntries) |
		flag(len(m.Claims) > 0, mClaims) | flag(m.Full, mFull) | flag(len(m.Results) > 0, mResults) |
		flag(len(m.Children) > 0, mChildren) | flag(len(m.State) > 0, mState) | flag(m.Epoch != 0, mEpoch) |
		flag(m.Err != "", mErr) | flag(m.Digest != 0, mDigest) | flag(m.Version != 0, mVersion) |
		flag(m.Count != 0, mCount) | flag(len(m.Acks) > 0, mAcks) | flag(m.CheckExisting, mCheckExisting) |
		flag(m.PartOf != 0, mPartOf) | flag(m.Part != 0, mPart) | flag(m.Parts != 0, mParts)
	e.uv(f)
	if f&mKind != 0 {
		e.uv(uint64(m.Kind))
	}
	if f&mHub != 0 {
		e.str(m.Hub)
	}
	if f&mFrom != 0 {
		e.str(string(m.From))
	}
	if f&mInc != 0 {
		e.uv(m.Inc)
	}
	if f&mSeq != 0 {
		e.uv(m.Seq)
	}
	if f&mOp != 0 {
		e.uv(uint64(m.Op))
	}
	if f&mOrigin != 0 {
		e.str(string(m.Origin))
	}
	if f&mOriginInc != 0 {
		e.uv(m.OriginInc)
	}
	if f&mToInc != 0 {
		e.uv(m.ToInc)
	}
	if f&mHops != 0 {
		e.uv(uint64(m.Hops))
	}
	if f&mMembers != 0 {
		e.uv(uint64(len(m.Members)))
		for i := range m.Members {
			x := &m.Members[i]
			xf := flag(x.Name != "", memName) | flag(x.Incarnation != 0, memInc) | flag(x.Status != 0, memStatus) | flag(x.Addr != "", memAddr) |
				flag(x.Cordoned, memCordoned) | flag(x.CordonVer != 0, memCordonVer)
			e.uv(xf)
			if xf&memName != 0 {
				e.str(string(x.Name))
			}
			if xf&memInc != 0 {
				e.uv(x.Incarnation)
			}
			if xf&memStatus != 0 {
				e.uv(uint64(x.Status))
			}
			if xf&memAddr != 0 {
				e.str(x.Addr)
			}
			if xf&memCordonVer != 0 {
				e.uv(x.CordonVer)
			}
		}
	}
	if f&mItems != 0 {
		e.uv(uint64(len(m.Items)))
		for i := range m.Items {
			x := &m.Items[i]
			xf := flag(len(x.Metadata) > 0, siMeta) | flag(len(x.Pinned) > 0, siPinned)
			e.uv(xf)
			e.spec(&x.Spec)
			if xf&siMeta != 0 {
				e.smap(x.Metadata)
			}
			if xf&siPinned != 0 {
				e.strs(x.Pinned)
			}
		}
	}
	if f&mIDs != 0 {
		e.uv(uint64(len(m.IDs)))
		for _, id := range m.IDs {
			e.str(string(id))
		}
	}
	if f&mEntries != 0 {
		e.uv(uint64(len(m.Entries)))
		for i := range m.Entries {
			e.entry(&m.Entries[i])
		}
	}
	if f&mClaims != 0 {
		e.uv(uint64(len(m.Claims)))
		for i := range m.Claims {
			x := &m.Claims[i]
			xf := flag(x.ID != "", clID) | flag(x.Epoch != 0, clEpoch) | flag(x.Instance != 0, clInstance) |
				flag(x.Active, clActive) | flag(x.Removed, clRemoved)
			e.uv(xf)
			if xf&clID != 0 {
				e.str(string(x.ID))
			}
			if xf&clEpoch != 0 {
				e.uv(x.Epoch)
			}
			if xf&clInstance != 0 {
				e.uv(x.Instance)
			}
		}
	}
	if f&mResults != 0 {
		e.uv(uint64(len(m.Results)))
		for i := range m.Results {
			x := &m.Results[i]
			xf := flag(x.ID != "", crID) | flag(len(x.Nodes) > 0, crNodes) | flag(x.Epoch != 0, crEpoch) |
				flag(x.Err != "", crErr) | flag(x.Detail != "", crDetail) | flag(len(x.Metadata) > 0, crMeta)
			e.uv(xf)
			if xf&crID != 0 {
				e.str(string(x.ID))
			}
			if xf&crNodes != 0 {
				e.strs(x.Nodes)
			}
			if xf&crEpoch != 0 {
				e.uv(x.Epoch)
			}
			if xf&crErr != 0 {
				e.str(string(x.Err))
			}
			if xf&crDetail != 0 {
				e.str(x.Detail)
			}
			if xf&crMeta != 0 {
				e.smap(x.Metadata)
			}
		}
	}
	if f&mChildren != 0 {
		e.uv(uint64(len(m.Children)))
		for i := range m.Children {
			x := &m.Children[i]
			xf := flag(x.ID != "", lcID) | flag(x.Kind != "", lcKind) | flag(x.Epoch != 0, lcEpoch) |
				flag(x.Instance != 0, lcInstance) | flag(x.Status != "", lcStatus) | flag(x.Active, lcActive)
			e.uv(xf)
			if xf&lcID != 0 {
				e.str(string(x.ID))
			}
			if xf&lcKind != 0 {
				e.str(x.Kind)
			}
			if xf&lcEpoch != 0 {
				e.uv(x.Epoch)
			}
			if xf&lcInstance != 0 {
				e.uv(x.Instance)
			}
			if xf&lcStatus != 0 {
				e.str(x.Status)
			}
		}
	}
	if f&mState != 0 {
		if len(m.State) > maxFrame(0) {
			if e.err == nil {
				e.err = fmt.Errorf("%w: state of %d bytes", ErrFrameTooLarge, len(m.State))
			}
		} else {
			e.uv(uint64(len(m.State)))
			e.b = append(e.b, m.State...)
		}
	}
	if f&mEpoch != 0 {
		e.uv(m.Epoch)
	}
	if f&mErr != 0 {
		e.str(string(m.Err))
	}
	if f&mDigest != 0 {
		e.uv(m.Digest)
	}
	if f&mVersion != 0 {
		e.uv(m.Version)
	}
	if f&mCount != 0 {
		e.b = binary.AppendVarint(e.b, int64(m.Count))
	}
	if f&mAcks != 0 {
		e.strs(m.Acks)
	}
	if f&mPartOf != 0 {
		e.uv(m.PartOf)
	}
	if f&mPart != 0 {
		e.b = binary.AppendVarint(e.b, int64(m.Part))
	}
	if f&mParts != 0 {
		e.b = binary.AppendVarint(e.b, int64(m.Parts))
	}
}

// binarySizeHint estimates m's binary encoding, to size the buffer once.
func binarySizeHint(m *core.Message) int {
	n := 64 + len(m.State) + 24*len(m.Members) + 32*len(m.Items) + 16*len(m.IDs) + 24*len(m.Claims) +
		32*len(m.Results) + 32*len(m.Children) + 12*len(m.Acks)
	for i := range m.Entries {
		en := &m.Entries[i]
		n += 16 + len(en.Spec.ID) + len(en.Spec.Kind) + 12*len(en.Replicas) + 24*(len(en.Spec.Params)+len(en.Metadata))
	}
	return n
}

// AppendMessageBinary appends m's binary payload (BinaryCodecVersion and
// the encoded message) to dst. It fails only for a string longer than
// MaxBinaryStringBytes or a State larger than DefaultMaxFrameBytes; it
// does not call Validate.
func AppendMessageBinary(dst []byte, m *core.Message) ([]byte, error) {
	dst = slices.Grow(dst, binarySizeHint(m))
	e := binEncoder{b: append(dst, BinaryCodecVersion)}
	e.message(m)
	if e.err != nil {
		return dst, fmt.Errorf("encode %s: %w", m.Kind, e.err)
	}
	return e.b, nil
}

// EncodeMessageBinary returns m's binary payload; see AppendMessageBinary.
func EncodeMessageBinary(m *core.Message) ([]byte, error) {
	return AppendMessageBinary(nil, m)
}

// ---------------------------------------------------------------- decoding

var errTruncated = errors.New("truncated")

// binDecoder reads a payload. Errors are sticky: after the first one every
// read returns a zero value and consumes nothing, and counts return 0, so
// the decoding functions need not check after every read.
type binDecoder struct {
	b      []byte
	err    error
	top    int // top-level elements still allowed
	nested int // nested elements still allowed
	cache  [64]string
	maps   [16]struct {
		span []byte
		m    map[string]string
	}
}

func (d *binDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
	d.b = nil
}

func (d *binDecoder) uv() uint64 {
	if len(d.b) > 0 && d.b[0] < 0x80 {
		v := d.b[0]
		d.b = d.b[1:]
		return uint64(v)
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		if n == 0 {
			d.fail("%w", errTruncated)
		} else {
			d.fail("varint overflows 64 bits")
		}
		return 0
	}
	if d.b[n-1] == 0 {
		d.fail("non-minimal varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// nonzero reads a uint of a present field, which must not be 0.
func (d *binDecoder) nonzero(what string) uint64 {
	v := d.uv()
	if v == 0 && d.err == nil {
		d.fail("%s: present but zero", what)
	}
	return v
}

func (d *binDecoder) u8(what string) uint8 {
	v := d.nonzero(what)
	if v > 255 {
		d.fail("%s: %d overflows uint8", what, v)
		return 0
	}
	return uint8(v)
}

func (d *binDecoder) sv(what string) int64 {
	v, n := binary.Varint(d.b)
	switch {
	case n == 0:
		d.fail("%w", errTruncated)
		return 0
	case n < 0:
		d.fail("varint overflows 64 bits")
		return 0
	case n > 1 && d.b[n-1] == 0:
		d.fail("non-minimal varint")
		return 0
	case v == 0:
		d.fail("%s: present but zero", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// flags reads a struct's flags and rejects bits at or above end.
func (d *binDecoder) flags(end uint64, what string) uint64 {
	f := d.uv()
	if f >= end {
		d.fail("%s: unknown field bits %#x", what, f&^(end-1))
		return 0
	}
	return f
}

// bytes reads a length-prefixed byte string of at most limit bytes,
// aliasing the input.
func (d *binDecoder) bytes(limit int) []byte {
	n := d.uv()
	if n > uint64(len(d.b)) {
		d.fail("length %d exceeds the %d bytes left", n, len(d.b))
		return nil
	}
	if n > uint64(limit) {
		d.fail("length %d exceeds the limit %d", n, limit)
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// str reads a string into a fresh allocation (child ids: unique).
func (d *binDecoder) str() string { return string(d.bytes(MaxBinaryStringBytes)) }

// istr reads a string that is likely to repeat within a message (node
// names, kinds, map keys...) through a small cache, so repeats share one
// allocation.
func (d *binDecoder) istr() string {
	b := d.bytes(MaxBinaryStringBytes)
	if len(b) == 0 || len(b) > 64 {
		return string(b)
	}
	h := (uint(len(b))*31 + uint(b[0])*7 + uint(b[len(b)-1])) % uint(len(d.cache))
	if s := d.cache[h]; s == string(b) {
		return s
	}
	s := string(b)
	d.cache[h] = s
	return s
}

// nestr reads a present string field, which must not be empty.
func (d *binDecoder) nestr(what string, intern bool) string {
	var s string
	if intern {
		s = d.istr()
	} else {
		s = d.str()
	}
	if s == "" && d.err == nil {
		d.fail("%s: present but empty", what)
	}
	return s
}

// count reads the element count of a present slice or map whose elements
// take at least minBytes each, charging it to the top-level or nested
// allowance. It returns 0 after an error.
func (d *binDecoder) count(what string, minBytes int, top bool) int {
	n := d.uv()
	switch {
	case d.err != nil:
		return 0
	case n == 0:
		d.fail("%s: present but empty", what)
		return 0
	case n > uint64(len(d.b)/minBytes):
		d.fail("%s: %d elements cannot fit in the %d bytes left", what, n, len(d.b))
		return 0
	}
	allowance := &d.nested
	if top {
		allowance = &d.top
	}
	if n > uint64(*allowance) {
		d.fail("%s: %d elements exceed the limit", what, n)
		return 0
	}
	*allowance -= int(n)
	return int(n)
}

func (d *binDecoder) nodes(what string, top bool) []core.NodeID {
	n := d.count(what, 1, top)
	if n == 0 {
		return nil
	}
	out := make([]core.NodeID, n)
	for i := range out {
		out[i] = core.NodeID(d.istr())
	}
	return out
}

// smap reads a map. Maps whose encoding equals one decoded earlier in
// the same message (common: a start batch stores the same metadata with
// every child) share that map; core never mutates Params or Metadata
// after an entry is created (see core.Entry.Clone), so sharing is safe.
func (d *binDecoder) smap(what string) map[string]string {
	start := d.b
	n := d.count(what, 2, false)
	if n == 0 {
		return nil
	}
	body := d.b
	// First pass: check the pairs and find the map's extent.
	var prev []byte
	for i := range n {
		k := d.bytes(MaxBinaryStringBytes)
		d.bytes(MaxBinaryStringBytes)
		if d.err != nil {
			return nil
		}
		if i > 0 && string(k) <= string(prev) {
			d.fail("%s: keys not strictly increasing", what)
			return nil
		}
		prev = k
	}
	rest := d.b
	span := start[:len(start)-len(rest)]
	h := uint32(2166136261) // FNV-1a
	for _, c := range span[:min(len(span), 64)] {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &d.maps[h%uint32(len(d.maps))]
	if slot.m != nil && string(slot.span) == string(span) {
		return slot.m
	}
	// Second pass: build it.
	d.b = body[:len(body)-len(rest)]
	m := make(map[string]string, n)
	for range n {
		k := d.istr()
		m[k] = d.istr()
	}
	d.b = rest
	slot.span, slot.m = span, m
	return m
}

func (d *binDecoder) spec(s *core.ChildSpec) {
	f := d.flags(spEnd, "spec")
	if f&spID != 0 {
		s.ID = core.ChildID(d.nestr("spec id", false))
	}
	if f&spKind != 0 {
		s.Kind = d.nestr("spec kind", true)
	}
	if f&spParams != 0 {
		s.Params = d.smap("spec params")
	}
	if f&spRestart != 0 {
		s.Restart = core.RestartPolicy(d.u8("spec restart"))
	}
}

func (d *binDecoder) entry(en *core.Entry) {
	f := d.flags(enEnd, "entry")
	d.spec(&en.Spec)
	if f&enMeta != 0 {
		en.Metadata = d.smap("entry metadata")
	}
	if f&enEpoch != 0 {
		en.Epoch = d.nonzero("entry epoch")
	}
	en.Stopped = f&enStopped != 0
	if f&enHolder != 0 {
		en.Holder = core.NodeID(d.nestr("entry holder", true))
	}
	if f&enBy != 0 {
		en.By = core.NodeID(d.nestr("entry by", true))
	}
	if f&enPinned != 0 {
		en.Pinned = d.nodes("entry pinned", false)
	}
	if f&enReason != 0 {
		en.Reason = d.nestr("entry reason", true)
	}
	if f&enStoppedAt != 0 {
		en.StoppedAt = core.Instant(d.sv("entry stoppedAt"))
	}
	if f&enReplicas != 0 {
		n := d.count("entry replicas", 1, false)
		if n == 0 {
			return
		}
		en.Replicas = make([]core.Replica, n)
		for i := range en.Replicas {
			r := &en.Replicas[i]
			rf := d.flags(rpEnd, "replica")
			if rf&rpNode != 0 {
				r.Node = core.NodeID(d.nestr("replica node", true))
			}
			if rf&rpInc != 0 {
				r.Incarnation = d.nonzero("replica incarnation")
			}
			if rf&rpEpoch != 0 {
				r.Epoch = d.nonzero("replica epoch")
			}
			r.Active = rf&rpActive != 0
		}
	}
}

func (d *binDecoder) message(m *core.Message) {
	f := d.flags(mEnd, "message")
	if f&mKind != 0 {
		m.Kind = core.MsgKind(d.u8("kind"))
	}
	if f&mHub != 0 {
		m.Hub = d.nestr("hub", true)
	}
	if f&mFrom != 0 {
		m.From = core.NodeID(d.nestr("from", true))
	}
	if f&mInc != 0 {
		m.Inc = d.nonzero("inc")
	}
	if f&mSeq != 0 {
		m.Seq = d.nonzero("seq")
	}
	if f&mOp != 0 {
		m.Op = core.Op(d.u8("op"))
	}
	if f&mOrigin != 0 {
		m.Origin = core.NodeID(d.nestr("origin", true))
	}
	if f&mOriginInc != 0 {
		m.OriginInc = d.nonzero("originInc")
	}
	if f&mToInc != 0 {
		m.ToInc = d.nonzero("toInc")
	}
	if f&mHops != 0 {
		m.Hops = d.u8("hops")
	}
	if f&mMembers != 0 {
		if n := d.count("members", 1, true); n > 0 {
			m.Members = make([]core.Member, n)
			for i := range m.Members {
				x := &m.Members[i]
				xf := d.flags(memEnd, "member")
				if xf&memName != 0 {
					x.Name = core.NodeID(d.nestr("member name", true))
				}
				if xf&memInc != 0 {
					x.Incarnation = d.nonzero("member incarnation")
				}
				if xf&memStatus != 0 {
					x.Status = core.MemberStatus(d.u8("member status"))
				}
				if xf&memAddr != 0 {
					x.Addr = d.nestr("member addr", true)
				}
				x.Cordoned = xf&memCordoned != 0
				if xf&memCordonVer != 0 {
					x.CordonVer = d.nonzero("member cordon version")
				}
			}
		}
	}
	if f&mItems != 0 {
		if n := d.count("items", 2, true); n > 0 {
			m.Items = make([]core.StartItem, n)
			for i := range m.Items {
				x := &m.Items[i]
				xf := d.flags(siEnd, "item")
				d.spec(&x.Spec)
				if xf&siMeta != 0 {
					x.Metadata = d.smap("item metadata")
				}
				if xf&siPinned != 0 {
					x.Pinned = d.nodes("item pinned", false)
				}
			}
		}
	}
	if f&mIDs != 0 {
		if n := d.count("ids", 1, true); n > 0 {
			m.IDs = make([]core.ChildID, n)
			for i := range m.IDs {
				m.IDs[i] = core.ChildID(d.str())
			}
		}
	}
	if f&mEntries != 0 {
		if n := d.count("entries", 2, true); n > 0 {
			m.Entries = make([]core.Entry, n)
			for i := range m.Entries {
				d.entry(&m.Entries[i])
			}
		}
	}
	if f&mClaims != 0 {
		if n := d.count("claims", 1, true); n > 0 {
			m.Claims = make([]core.Claim, n)
			for i := range m.Claims {
				x := &m.Claims[i]
				xf := d.flags(clEnd, "claim")
				if xf&clID != 0 {
					x.ID = core.ChildID(d.nestr("claim id", false))
				}
				if xf&clEpoch != 0 {
					x.Epoch = d.nonzero("claim epoch")
				}
				if xf&clInstance != 0 {
					x.Instance = d.nonzero("claim instance")
				}
				x.Active = xf&clActive != 0
				x.Removed = xf&clRemoved != 0
			}
		}
	}
	m.Full = f&mFull != 0
	if f&mResults != 0 {
		if n := d.count("results", 1, true); n > 0 {
			m.Results = make([]core.ChildResult, n)
			for i := range m.Results {
				x := &m.Results[i]
				xf := d.flags(crEnd, "result")
				if xf&crID != 0 {
					x.ID = core.ChildID(d.nestr("result id", false))
				}
				if xf&crNodes != 0 {
					x.Nodes = d.nodes("result nodes", false)
				}
				if xf&crEpoch != 0 {
					x.Epoch = d.nonzero("result epoch")
				}
				if xf&crErr != 0 {
					x.Err = core.ErrCode(d.nestr("result err", true))
				}
				if xf&crDetail != 0 {
					x.Detail = d.nestr("result detail", true)
				}
				if xf&crMeta != 0 {
					x.Metadata = d.smap("result metadata")
				}
			}
		}
	}
	if f&mChildren != 0 {
		if n := d.count("children", 1, true); n > 0 {
			m.Children = make([]core.LocalChild, n)
			for i := range m.Children {
				x := &m.Children[i]
				xf := d.flags(lcEnd, "child")
				if xf&lcID != 0 {
					x.ID = core.ChildID(d.nestr("child id", false))
				}
				if xf&lcKind != 0 {
					x.Kind = d.nestr("child kind", true)
				}
				if xf&lcEpoch != 0 {
					x.Epoch = d.nonzero("child epoch")
				}
				if xf&lcInstance != 0 {
					x.Instance = d.nonzero("child instance")
				}
				if xf&lcStatus != 0 {
					x.Status = d.nestr("child status", true)
				}
				x.Active = xf&lcActive != 0
			}
		}
	}
	if f&mState != 0 {
		s := d.bytes(len(d.b))
		if len(s) == 0 && d.err == nil {
			d.fail("state: present but empty")
		}
		if d.err == nil {
			m.State = append([]byte(nil), s...)
		}
	}
	if f&mEpoch != 0 {
		m.Epoch = d.nonzero("epoch")
	}
	if f&mErr != 0 {
		m.Err = core.ErrCode(d.nestr("err", true))
	}
	if f&mDigest != 0 {
		m.Digest = d.nonzero("digest")
	}
	if f&mVersion != 0 {
		m.Version = d.nonzero("version")
	}
	if f&mCount != 0 {
		v := d.sv("count")
		if int64(int(v)) != v {
			d.fail("count %d overflows int", v)
		}
		m.Count = int(v)
	}
	m.CheckExisting = f&mCheckExisting != 0
	if f&mAcks != 0 {
		m.Acks = d.nodes("acks", true)
	}
	if f&mPartOf != 0 {
		m.PartOf = d.nonzero("partOf")
	}
	if f&mPart != 0 {
		m.Part = d.int("part")
	}
	if f&mParts != 0 {
		m.Parts = d.int("parts")
	}
}

// int decodes a non-zero zig-zag varint that fits an int.
func (d *binDecoder) int(what string) int {
	v := d.sv(what)
	if int64(int(v)) != v {
		d.fail("%s %d overflows int", what, v)
	}
	return int(v)
}

// batchLimit is the element bound core.Message.Validate(maxBatch) applies
// to the top-level slices of a message.
func batchLimit(maxBatch int) int {
	if maxBatch < 0 {
		maxBatch = 0
	}
	if maxBatch > (1<<(bits.UintSize-2)-1024)/4 {
		return 1<<(bits.UintSize-2) - 1
	}
	return 4*maxBatch + 1024
}

// decodeBinary decodes a binary payload without calling Validate. The
// top-level slices may hold at most batchLimit(maxBatch) elements.
func decodeBinary(payload []byte, maxBatch int) (core.Message, error) {
	if len(payload) == 0 {
		return core.Message{}, fmt.Errorf("%w: empty binary payload", ErrBadPayload)
	}
	if payload[0] != BinaryCodecVersion {
		return core.Message{}, fmt.Errorf("%w: unknown binary codec version %d", ErrBadPayload, payload[0])
	}
	d := binDecoder{b: payload[1:], top: batchLimit(maxBatch), nested: MaxBinaryNestedElems}
	var m core.Message
	d.message(&m)
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return core.Message{}, fmt.Errorf("%w: binary: %v", ErrBadPayload, d.err)
	}
	return m, nil
}

// DecodeMessageBinary decodes a FrameMessageBin payload and validates the
// result with core.Message.Validate(maxBatch). Errors wrap ErrBadPayload or
// ErrInvalidMessage.
func DecodeMessageBinary(payload []byte, maxBatch int) (core.Message, error) {
	m, err := decodeBinary(payload, maxBatch)
	if err != nil {
		return core.Message{}, err
	}
	if err := m.Validate(maxBatch); err != nil {
		return core.Message{}, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	return m, nil
}
