package transport

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/phub/phub/core"
)

// binEncoder appends a binary payload, walking the wire tables of
// codec_binary_layout.go. The first error sticks and is reported at the
// end.
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

func (e *binEncoder) strs(ss []string) {
	e.uv(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// smap writes a map's pairs in increasing key order.
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

func (e *binEncoder) state(s []byte) {
	if len(s) > maxFrame(0) {
		if e.err == nil {
			e.err = fmt.Errorf("%w: state of %d bytes", ErrFrameTooLarge, len(s))
		}
		return
	}
	e.uv(uint64(len(s)))
	e.b = append(e.b, s...)
}

// The field accessors: p points at a field whose kind says its type (the
// tables check the kinds against the Go types when they are built). A
// slice of a string type is read as []string and a map type as
// map[string]string: same layout.

func fieldUint(p unsafe.Pointer) *uint64           { return (*uint64)(p) }
func fieldUint8(p unsafe.Pointer) *uint8           { return (*uint8)(p) }
func fieldInt(p unsafe.Pointer) *int               { return (*int)(p) }
func fieldInt64(p unsafe.Pointer) *int64           { return (*int64)(p) }
func fieldBool(p unsafe.Pointer) *bool             { return (*bool)(p) }
func fieldString(p unsafe.Pointer) *string         { return (*string)(p) }
func fieldBytes(p unsafe.Pointer) *[]byte          { return (*[]byte)(p) }
func fieldStrings(p unsafe.Pointer) *[]string      { return (*[]string)(p) }
func fieldMap(p unsafe.Pointer) *map[string]string { return (*map[string]string)(p) }
func fieldSliceLen(p unsafe.Pointer) int           { return len(*(*[]struct{})(p)) }
func fieldSliceData(p unsafe.Pointer) unsafe.Pointer {
	return unsafe.Pointer(unsafe.SliceData(*(*[]struct{})(p)))
}

// setFieldSlice stores the slice of the n structs at base in the slice
// field at p (any element type: a slice header's layout does not depend
// on it).
func setFieldSlice(p, base unsafe.Pointer, n int) {
	*(*[]struct{})(p) = unsafe.Slice((*struct{})(base), n)
}

func elemAt(base unsafe.Pointer, i int, s *wireStruct) unsafe.Pointer {
	return unsafe.Add(base, uintptr(i)*s.size)
}

// present reports whether the field at p is non-zero (so its bit is set).
func (f *wireField) present(p unsafe.Pointer) bool {
	switch f.kind {
	case wireUint:
		return *fieldUint(p) != 0
	case wireUint8:
		return *fieldUint8(p) != 0
	case wireInt:
		return *fieldInt(p) != 0
	case wireInt64:
		return *fieldInt64(p) != 0
	case wireBool:
		return *fieldBool(p)
	case wireString:
		return *fieldString(p) != ""
	case wireBytes:
		return len(*fieldBytes(p)) > 0
	case wireStrings:
		return len(*fieldStrings(p)) > 0
	case wireMap:
		return len(*fieldMap(p)) > 0
	case wireSlice:
		return fieldSliceLen(p) > 0
	}
	return false // wireInline has no bit
}

// encodeStruct writes the struct at p as table s describes it: its
// flags, then every present field (and every inline struct) in order.
func (e *binEncoder) encodeStruct(s *wireStruct, p unsafe.Pointer) {
	var flags uint64
	for i := range s.fields {
		f := &s.fields[i]
		q := unsafe.Add(p, f.off)
		var set bool
		switch f.kind { // present, inlined: this loop is the codec's hot path
		case wireUint:
			set = *fieldUint(q) != 0
		case wireUint8:
			set = *fieldUint8(q) != 0
		case wireBool:
			set = *fieldBool(q)
		case wireString:
			set = *fieldString(q) != ""
		case wireInline:
			continue
		default:
			set = f.present(q)
		}
		if set {
			flags |= f.bit
		}
	}
	e.uv(flags)
	for i := range s.fields {
		if f := &s.fields[i]; f.carried(flags) {
			e.encodeField(f, unsafe.Add(p, f.off))
		}
	}
}

// encodeField writes the value of the present field f, at q.
func (e *binEncoder) encodeField(f *wireField, q unsafe.Pointer) {
	switch f.kind {
	case wireUint:
		e.uv(*fieldUint(q))
	case wireUint8:
		e.uv(uint64(*fieldUint8(q)))
	case wireInt:
		e.b = binary.AppendVarint(e.b, int64(*fieldInt(q)))
	case wireInt64:
		e.b = binary.AppendVarint(e.b, *fieldInt64(q))
	case wireString:
		e.str(*fieldString(q))
	case wireBytes:
		e.state(*fieldBytes(q))
	case wireStrings:
		e.strs(*fieldStrings(q))
	case wireMap:
		e.smap(*fieldMap(q))
	case wireSlice:
		n, base := fieldSliceLen(q), fieldSliceData(q)
		e.uv(uint64(n))
		for j := range n {
			e.encodeStruct(f.sub, elemAt(base, j, f.sub))
		}
	case wireInline:
		e.encodeStruct(f.sub, q)
	}
	// wireBool: the bit is the value.
}

// binarySizeHint estimates m's binary encoding, to size the buffer once.
func binarySizeHint(m *core.Message) int {
	n := 64 + len(m.State) + 24*len(m.Members) + 32*len(m.Items) + 16*len(m.IDs) + 24*len(m.Claims) +
		32*len(m.Results) + 32*len(m.Children) + 12*len(m.Acks)
	for i := range m.Handovers {
		n += 24 + len(m.Handovers[i].ID) + len(m.Handovers[i].State)
	}
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
	e.encodeStruct(wireMessage, unsafe.Pointer(m))
	if e.err != nil {
		return dst, fmt.Errorf("encode %s: %w", m.Kind, e.err)
	}
	return e.b, nil
}

// EncodeMessageBinary returns m's binary payload; see AppendMessageBinary.
func EncodeMessageBinary(m *core.Message) ([]byte, error) {
	return AppendMessageBinary(nil, m)
}
