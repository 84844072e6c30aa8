package phub

import (
	"reflect"
	"testing"

	"github.com/phub/phub/core"
)

// TestSameMessageSeesEveryField changes each field of a message in turn
// (a scalar to another value, a slice to a copy in another array) and
// requires sameMessage to tell the two apart, while a copy of the value
// (slices shared, as core sends one value to every peer) is the same
// message.
func TestSameMessageSeesEveryField(t *testing.T) {
	var a core.Message
	av := reflect.ValueOf(&a).Elem()
	for i := 0; i < av.NumField(); i++ {
		f := av.Field(i)
		switch f.Kind() {
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(1)
		case reflect.Uint, reflect.Uint8, reflect.Uint64:
			f.SetUint(1)
		default:
			t.Fatalf("field %s: kind %s not covered by this test", av.Type().Field(i).Name, f.Kind())
		}
	}
	b := a
	if !sameMessage(&a, &b) {
		t.Fatal("a copy of a message is not the same message")
	}
	for i := 0; i < av.NumField(); i++ {
		b := a
		f := reflect.ValueOf(&b).Elem().Field(i)
		switch f.Kind() {
		case reflect.Slice:
			cp := reflect.MakeSlice(f.Type(), 1, 1)
			reflect.Copy(cp, f)
			f.Set(cp)
		case reflect.String:
			f.SetString("y")
		case reflect.Bool:
			f.SetBool(false)
		case reflect.Int, reflect.Int64:
			f.SetInt(2)
		default:
			f.SetUint(2)
		}
		if sameMessage(&a, &b) {
			t.Errorf("field %s differs, sameMessage says the same", av.Type().Field(i).Name)
		}
	}
}
