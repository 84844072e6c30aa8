package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/phub/phub/core"
)

var errTruncated = errors.New("truncated")

// binDecoder reads a payload. Errors are sticky: after the first one every
// read returns a zero value and consumes nothing, and counts return 0, so
// the decoding functions need not check after every read.
type binDecoder struct {
	b      []byte
	err    error
	top    int // top-level elements still allowed
	nested int // nested elements still allowed
	// ids, if set, supplies child ids the receiver already holds
	// (childids.go); str copies only the others.
	ids ChildIDSource
	// entries are the message's entries, once decoded. While its claims
	// are decoded, same holds them too and claimAt is the claim's index:
	// a claim names the child of the entry at its position in most
	// messages that carry both (a round with its claim delta,
	// core/claimround.go), and then shares that entry's id string instead
	// of a lookup in ids or a copy (str).
	entries, same []core.Entry
	claimAt       int
	arena         arena // chunks shared by a large message's strings (codec_binary_arena.go)
	cache         [64]string
	maps          [16]struct {
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

// str reads a child id: the receiver's own string for an id it already
// holds (d.ids), else a copy (ids are unique in a message, so a cache
// like istr's would not help; a large message's copies share chunks,
// codec_binary_arena.go).
func (d *binDecoder) str() string {
	b := d.bytes(MaxBinaryStringBytes)
	if d.claimAt < len(d.same) && string(d.same[d.claimAt].Spec.ID) == string(b) {
		return string(d.same[d.claimAt].Spec.ID)
	}
	if d.ids != nil && len(b) > 0 {
		if s, ok := knownID(d.ids, b); ok {
			return s
		}
	}
	return d.arena.copyString(b, len(d.b))
}

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

// strings reads a present slice of strings (node names through the
// cache when intern is set, child ids as fresh allocations).
func (d *binDecoder) strings(what string, top, intern bool) []string {
	n := d.count(what, 1, top)
	if n == 0 {
		return nil
	}
	out := d.arena.list(n, len(d.b))
	for i := range out {
		if intern {
			out[i] = d.istr()
		} else {
			out[i] = d.str()
		}
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

// decodeField reads the value of the present field f into q.
func (d *binDecoder) decodeField(f *wireField, q unsafe.Pointer) {
	switch f.kind {
	case wireBool:
		*fieldBool(q) = true
	case wireUint:
		*fieldUint(q) = d.nonzero(f.name)
	case wireUint8:
		*fieldUint8(q) = d.u8(f.name)
	case wireInt:
		*fieldInt(q) = d.int(f.name)
	case wireInt64:
		*fieldInt64(q) = d.sv(f.name)
	case wireString:
		*fieldString(q) = d.nestr(f.name, f.intern)
	case wireBytes:
		*fieldBytes(q) = d.state(f.name)
	case wireStrings:
		*fieldStrings(q) = d.strings(f.name, f.top, f.intern)
	case wireMap:
		*fieldMap(q) = d.smap(f.name)
	case wireSlice:
		n := d.count(f.name, f.sub.minBytes, f.top)
		if n == 0 {
			return
		}
		base := f.sub.newArray(n)
		setFieldSlice(q, base, n)
		if f.top && f.sub == wireClaim && len(d.entries) > 0 {
			d.same = d.entries
			for j := range n {
				d.claimAt = j
				d.decodeStruct(f.sub, elemAt(base, j, f.sub))
			}
			d.same = nil
			return
		}
		for j := range n {
			d.decodeStruct(f.sub, elemAt(base, j, f.sub))
		}
		if f.top && f.sub == wireEntry {
			d.entries = unsafe.Slice((*core.Entry)(base), n) // for the claims, decoded next (field order)
		}
	case wireInline:
		d.decodeStruct(f.sub, q)
	}
}

// decodeStruct reads a struct as table s describes it into the zero
// struct at p: its flags, then every field whose bit is set (and every
// inline struct) in order. A bool is its bit alone.
func (d *binDecoder) decodeStruct(s *wireStruct, p unsafe.Pointer) {
	flags := d.flags(s.end, s.name)
	for i := range s.fields {
		if f := &s.fields[i]; f.carried(flags) {
			d.decodeField(f, unsafe.Add(p, f.off))
		}
	}
}

// state reads a present byte string, which must not be empty, into a
// fresh allocation.
func (d *binDecoder) state(what string) []byte {
	s := d.bytes(len(d.b))
	if len(s) == 0 && d.err == nil {
		d.fail("%s: present but empty", what)
	}
	if d.err != nil {
		return nil
	}
	return append([]byte(nil), s...)
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
	return decodeBinaryIDs(payload, maxBatch, nil)
}

// decodeBinaryIDs is decodeBinary with a source of known child ids (nil:
// none).
func decodeBinaryIDs(payload []byte, maxBatch int, ids ChildIDSource) (core.Message, error) {
	if len(payload) == 0 {
		return core.Message{}, fmt.Errorf("%w: empty binary payload", ErrBadPayload)
	}
	if payload[0] != BinaryCodecVersion {
		return core.Message{}, fmt.Errorf("%w: unknown binary codec version %d", ErrBadPayload, payload[0])
	}
	d := binDecoder{b: payload[1:], top: batchLimit(maxBatch), nested: MaxBinaryNestedElems, ids: ids}
	var m core.Message
	d.decodeStruct(wireMessage, unsafe.Pointer(&m))
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
	return decodeMessageBinary(payload, maxBatch, nil)
}

// decodeMessageBinary is DecodeMessageBinary with a source of known
// child ids (nil: none).
func decodeMessageBinary(payload []byte, maxBatch int, ids ChildIDSource) (core.Message, error) {
	m, err := decodeBinaryIDs(payload, maxBatch, ids)
	if err != nil {
		return core.Message{}, err
	}
	if err := m.Validate(maxBatch); err != nil {
		return core.Message{}, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	return m, nil
}
