package transport

import (
	"fmt"
	"testing"
	"unsafe"
)

// TestArenaKeepsSmallMessagesAlone: a message's first arenaAfter strings
// and lists are allocated one each (a single child's id pins no chunk);
// only later ones share a chunk, and a chunk is never larger than the
// payload left can fill.
func TestArenaKeepsSmallMessagesAlone(t *testing.T) {
	var a arena
	id := []byte("child-000001")
	for i := 0; i < arenaAfter; i++ {
		if s := a.copyString(id, 1<<20); s != string(id) {
			t.Fatalf("copy %d is %q", i, s)
		}
		a.list(1, 1<<20)
	}
	if a.bytes != nil || a.elems != nil {
		t.Fatalf("the first %d strings and lists made chunks (%d bytes, %d elements)", arenaAfter, cap(a.bytes), cap(a.elems))
	}
	a.copyString(id, 2*len(id))
	if cap(a.bytes) != 3*len(id) {
		t.Fatalf("a chunk with %d payload bytes left after a %d-byte string has capacity %d, want %d", 2*len(id), len(id), cap(a.bytes), 3*len(id))
	}
	a.list(2, 3)
	if cap(a.elems) != 5 {
		t.Fatalf("a list chunk with 3 payload bytes left after a 2-element list has capacity %d, want 5", cap(a.elems))
	}
}

// TestArenaValuesAreIndependent: strings of one chunk keep their bytes as
// later ones are added, a long string gets its own allocation, and a
// list is capped, so an append to it copies instead of writing into the
// next list of its chunk.
func TestArenaValuesAreIndependent(t *testing.T) {
	a := arena{strings: arenaAfter, lists: arenaAfter}
	var got []string
	for i := 0; i < 200; i++ { // several chunks
		got = append(got, a.copyString([]byte(fmt.Sprintf("id-%d", i)), 1<<20))
	}
	for i, s := range got {
		if want := fmt.Sprintf("id-%d", i); s != want {
			t.Fatalf("string %d is %q, want %q", i, s, want)
		}
	}
	// Consecutive short strings share a chunk: got[1]'s bytes follow got[0]'s.
	if uintptr(unsafe.Pointer(unsafe.StringData(got[1]))) != uintptr(unsafe.Pointer(unsafe.StringData(got[0])))+uintptr(len(got[0])) {
		t.Fatalf("consecutive short strings do not share a chunk")
	}
	long := make([]byte, arenaMaxString+1)
	before := len(a.bytes)
	if s := a.copyString(long, 1<<20); len(s) != len(long) || len(a.bytes) != before {
		t.Fatalf("a %d-byte string went into the chunk", len(long))
	}
	l1 := a.list(2, 1<<20)
	l2 := a.list(2, 1<<20)
	l1[0], l1[1], l2[0], l2[1] = "a", "b", "c", "d"
	l1 = append(l1, "x")
	if l2[0] != "c" || l2[1] != "d" || len(l1) != 3 {
		t.Fatalf("appending to a list changed the next one: %q %q", l1, l2)
	}
}
