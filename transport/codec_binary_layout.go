package transport

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/phub/phub/core"
)

// The binary codec's one description of the wire format: for each struct
// that travels, its fields in wire order. The encoder and the decoder
// both walk these tables (codec_binary_encode.go, codec_binary_decode.go),
// so no field is written in one place and read in another by hand. Field
// i of a table (counting only fields that are not inline structs) owns
// flag bit i; how a field's value travels follows from its Go type
// (wireKindOf). A name that is not a field, or a type the codec cannot
// carry, panics when the package loads; a field of a travelling struct
// missing from its table fails TestBinaryCodecCarriesEveryField.
//
// Changing an order, or inserting a field anywhere but at the end, changes
// the format: TestBinaryGolden pins the bytes.
//
// The walkers reach a field through its offset (unsafe.Pointer) and read
// it as the type its kind names; wireStructOf derives kind and offset from
// the Go type by reflection, once, so the two cannot disagree. Reflection
// on every field of every message would cost several times the codec's
// time; offsets keep it at the speed of the hand-written codec it
// replaces.
var (
	wireSpec    = wireStructOf[core.ChildSpec]("spec", nil, "ID", "Kind", "Params", "Restart")
	wireReplica = wireStructOf[core.Replica]("replica", nil, "Node", "Incarnation", "Epoch", "Active")
	wireEntry   = wireStructOf[core.Entry]("entry", []*wireStruct{wireSpec, wireReplica},
		"Spec", "Metadata", "Epoch", "Stopped", "Holder", "By", "Pinned", "Reason", "StoppedAt", "Replicas")
	wireMember = wireStructOf[core.Member]("member", nil, "Name", "Incarnation", "Status", "Addr", "Cordoned", "CordonVer", "Beat", "SyncStamp", "Detected", "Recovering")
	wireItem   = wireStructOf[core.StartItem]("item", []*wireStruct{wireSpec}, "Spec", "Metadata", "Pinned")
	// Claim.Ver is receiver-side bookkeeping and never sent.
	wireClaim    = wireStructOf[core.Claim]("claim", nil, "ID", "Epoch", "Instance", "Active", "Removed")
	wireResult   = wireStructOf[core.ChildResult]("result", nil, "ID", "Nodes", "Epoch", "Err", "Detail", "Metadata")
	wireChild    = wireStructOf[core.LocalChild]("child", nil, "ID", "Kind", "Epoch", "Instance", "Status", "Active")
	wireHandover = wireStructOf[core.HandoverItem]("handover", nil, "ID", "Epoch", "Instance", "State", "Shutdown")
	wireMessage  = wireStructOf[core.Message]("message",
		[]*wireStruct{wireMember, wireItem, wireEntry, wireClaim, wireResult, wireChild, wireHandover},
		"Kind", "Hub", "From", "Inc", "Seq", "Op", "Origin", "OriginInc", "ToInc", "Hops", "Members", "Items",
		"IDs", "Entries", "Claims", "Full", "Results", "Children", "State", "Epoch", "Err", "Digest",
		"Version", "Count", "Acks", "CheckExisting", "PartOf", "Part", "Parts", "Handovers", "Busy",
		"ClaimDeltas", "ClaimsLen", "ClaimsHash")
)

// wireKind says how a field's value travels.
type wireKind uint8

const (
	wireUint    wireKind = iota // uint64: uvarint, non-zero
	wireUint8                   // a uint8 type: uvarint, non-zero, <= 255
	wireInt                     // int: zig-zag varint, non-zero
	wireInt64                   // an int64 type: zig-zag varint, non-zero
	wireBool                    // bool: its flag bit alone
	wireString                  // a string type: non-empty string
	wireBytes                   // []byte: non-empty, bounded by the frame limit
	wireStrings                 // a slice of a string type: count, strings
	wireMap                     // map[string]string: count, pairs in key order
	wireSlice                   // a slice of a struct with a table: count, structs
	wireInline                  // a struct with a table: encoded in place, always, with no bit
)

// wireField is one field of a wireStruct.
type wireField struct {
	name string   // "entry Epoch", for errors
	kind wireKind // how it travels
	off  uintptr  // offset in its struct
	bit  uint64   // its flag bit; 0 for wireInline
	sub  *wireStruct
	top  bool // a slice of core.Message: counts against the batch limit
	// intern: the decoder shares repeated strings of this field (node
	// names, kinds, keys); child ids, unique, get an allocation each.
	intern bool
}

// carried reports whether a struct with these flags carries f's value:
// an inline struct always, another field when its bit is set.
func (f *wireField) carried(flags uint64) bool {
	return f.kind == wireInline || flags&f.bit != 0
}

// wireStruct is one struct type's table.
type wireStruct struct {
	name     string
	typ      reflect.Type
	fields   []wireField
	end      uint64  // the first flag bit that names no field
	size     uintptr // the struct's size, to step through slices
	minBytes int     // the fewest bytes one encoded struct takes
	// newArray allocates n zero structs and returns the first.
	newArray func(n int) unsafe.Pointer
}

// wireStructOf builds T's table from its field names in wire order; subs
// are the tables of its inline structs and slice elements.
func wireStructOf[T any](name string, subs []*wireStruct, fields ...string) *wireStruct {
	t := reflect.TypeFor[T]()
	s := &wireStruct{
		name: name, typ: t, size: t.Size(), minBytes: 1,
		newArray: func(n int) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(make([]T, n))) },
	}
	bit := uint64(1)
	for _, fn := range fields {
		sf, ok := t.FieldByName(fn)
		if !ok || len(sf.Index) != 1 {
			panic(fmt.Sprintf("transport: wire table of %s names %q, which is no field of it", t, fn))
		}
		f := wireField{name: name + " " + fn, kind: wireKindOf(sf.Type), off: sf.Offset, top: t == reflect.TypeFor[core.Message](),
			intern: sf.Type != reflect.TypeFor[core.ChildID]() && sf.Type != reflect.TypeFor[[]core.ChildID]()}
		switch f.kind {
		case wireInline:
			f.sub = subFor(sf.Type, subs)
			s.minBytes += f.sub.minBytes
		case wireSlice:
			f.sub = subFor(sf.Type.Elem(), subs)
		}
		if f.kind != wireInline {
			f.bit = bit
			bit <<= 1
		}
		s.fields = append(s.fields, f)
	}
	s.end = bit
	return s
}

// subFor returns the table of type t among subs.
func subFor(t reflect.Type, subs []*wireStruct) *wireStruct {
	for _, s := range subs {
		if s.typ == t {
			return s
		}
	}
	panic(fmt.Sprintf("transport: no wire table for %s among the subs given", t))
}

// wireKindOf says how a value of type t travels.
func wireKindOf(t reflect.Type) wireKind {
	switch t.Kind() {
	case reflect.Uint64:
		return wireUint
	case reflect.Uint8:
		return wireUint8
	case reflect.Int:
		return wireInt
	case reflect.Int64:
		return wireInt64
	case reflect.Bool:
		return wireBool
	case reflect.String:
		return wireString
	case reflect.Struct:
		return wireInline
	case reflect.Map:
		if t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String {
			return wireMap
		}
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Uint8:
			return wireBytes
		case reflect.String:
			return wireStrings
		case reflect.Struct:
			return wireSlice
		}
	}
	panic(fmt.Sprintf("transport: the binary codec cannot carry a %s", t))
}
