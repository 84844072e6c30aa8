package transport

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/phub/phub/core"
)

// The binary codec carries the fields its tables list
// (codec_binary_layout.go), and the round-trip properties only test the
// fields their generator sets: a field added to core.Message (or to a type
// nested in it) and left out of a table would pass them. These tests
// enumerate the fields by reflection, so a new field fails them until the
// generator sets it and a table carries it.

// notSent lists fields the codec deliberately drops (documented in
// codec_binary.go): receiver-side bookkeeping.
var notSent = map[string]bool{"Message.Claims[].Ver": true}

// fieldPath is one leaf field of Message: struct field indexes, with -1
// standing for "the first element" of a slice of structs.
type fieldPath struct {
	name  string
	steps []int
}

// leafFields lists every leaf field reachable from t. Slices of structs
// are followed into their element; strings, numbers, bools, maps and
// slices of non-structs ([]byte, []NodeID) are leaves.
func leafFields(t reflect.Type, name string, steps []int) []fieldPath {
	switch {
	case t.Kind() == reflect.Struct:
		var out []fieldPath
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			out = append(out, leafFields(f.Type, name+"."+f.Name, append(append([]int(nil), steps...), i))...)
		}
		return out
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return leafFields(t.Elem(), name+"[]", append(append([]int(nil), steps...), -1))
	}
	return []fieldPath{{name: name, steps: steps}}
}

// leaf returns the leaf of v at p, creating one-element slices on the way
// when create is set; ok is false when a slice on the way is empty.
func leaf(v reflect.Value, p fieldPath, create bool) (reflect.Value, bool) {
	for _, s := range p.steps {
		if s >= 0 {
			v = v.Field(s)
			continue
		}
		if v.Len() == 0 {
			if !create {
				return reflect.Value{}, false
			}
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		v = v.Index(0)
	}
	return v, true
}

// setNonZero stores a non-zero value in a leaf of any kind.
func setNonZero(t *testing.T, v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("v")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint:
		v.SetUint(2)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(2)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("k").Convert(v.Type().Key()), reflect.ValueOf("v").Convert(v.Type().Elem()))
		v.Set(m)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		setNonZero(t, s.Index(0), name+"[0]")
		v.Set(s)
	default:
		t.Fatalf("%s: no non-zero value for kind %s: extend setNonZero", name, v.Kind())
	}
}

func messageFields() []fieldPath {
	return leafFields(reflect.TypeOf(core.Message{}), "Message", nil)
}

// TestBinaryCodecCarriesEveryField sets each leaf field of core.Message
// alone (nested types included) and checks the binary codec, and the JSON
// codec, deliver it unchanged.
func TestBinaryCodecCarriesEveryField(t *testing.T) {
	fields := messageFields()
	if len(fields) < 60 {
		t.Fatalf("only %d leaf fields found: the walk is broken", len(fields))
	}
	for _, p := range fields {
		m := core.Message{Kind: core.MsgJoin, From: "a"}
		v, _ := leaf(reflect.ValueOf(&m).Elem(), p, true)
		if !v.IsZero() && p.name != "Message.Kind" && p.name != "Message.From" {
			t.Fatalf("%s: not zero before it was set", p.name)
		}
		setNonZero(t, v, p.name)
		if p.name == "Message.Kind" {
			v.SetUint(uint64(core.MsgWelcome))
		}
		b, err := EncodeMessageBinary(&m)
		if err != nil {
			t.Fatalf("%s: encode: %v", p.name, err)
		}
		got, err := decodeBinary(b, defaultMaxBatch)
		if err != nil {
			t.Fatalf("%s: decode: %v", p.name, err)
		}
		gv, ok := leaf(reflect.ValueOf(&got).Elem(), p, false)
		arrived := ok && !gv.IsZero() && reflect.DeepEqual(gv.Interface(), v.Interface())
		if notSent[p.name] {
			if arrived {
				t.Errorf("%s: documented as not sent, but the binary codec carries it", p.name)
			}
			continue
		}
		if !arrived {
			t.Errorf("%s: the binary codec does not carry it (sent %v)", p.name, v.Interface())
		}
		if d := cmp.Diff(m, got, canonical); d != "" {
			t.Errorf("%s: binary round trip (-sent +got):\n%s", p.name, d)
		}
		jb, err := EncodeMessage(&m)
		if err != nil {
			t.Fatalf("%s: json encode: %v", p.name, err)
		}
		var jgot core.Message
		if err := json.Unmarshal(jb, &jgot); err != nil {
			t.Fatalf("%s: json decode: %v", p.name, err)
		}
		if d := cmp.Diff(m, jgot, canonical); d != "" {
			t.Errorf("%s: JSON round trip (-sent +got):\n%s", p.name, d)
		}
	}
}

// TestBinaryGeneratorSetsEveryField checks that the round-trip
// properties' generator sets every leaf field of core.Message in some
// example, so they exercise it.
func TestBinaryGeneratorSetsEveryField(t *testing.T) {
	fields := messageFields()
	seen := map[string]bool{}
	for _, g := range []gens{{}, {utf8: true, valid: true}} {
		gen := g.message()
		for seed := range 100 {
			m := gen.Example(seed)
			for _, p := range fields {
				if v, ok := leaf(reflect.ValueOf(&m).Elem(), p, false); ok && !v.IsZero() {
					seen[p.name] = true
				}
			}
		}
	}
	var missing []string
	for _, p := range fields {
		if !seen[p.name] {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the generator of codec_binary_test.go never sets: %s", strings.Join(missing, ", "))
	}
}
