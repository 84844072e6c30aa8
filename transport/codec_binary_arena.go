package transport

import "unsafe"

// A large message's decoded strings and short string lists share chunks:
// the new child ids of a 10,000-child start or replication (ids the
// receiver does not hold yet, so knownID cannot share them) were one
// allocation each, and every result's node list another. A message's
// first few strings and lists are still allocated one by one, so a small
// message — a single child's start, whose id the registry keeps for the
// child's life — pins no chunk. A chunk is at most arenaChunkBytes (or
// arenaChunkLists lists) and never larger than what the rest of the
// payload can fill, and is written once per position: a decoded string
// or list never changes. What it costs: a string or list kept after the
// others of its chunk are gone keeps the chunk alive (at most 1 KiB;
// never more than the chunk took when the message was decoded).

const (
	// arenaAfter is how many strings (and, separately, lists) a message
	// decodes one allocation each before it uses chunks.
	arenaAfter = 8
	// arenaChunkBytes bounds a chunk of string bytes; arenaMaxString is
	// the longest string copied into one (a longer one is allocated
	// alone).
	arenaChunkBytes = 1024
	arenaMaxString  = 64
	// arenaChunkLists bounds a chunk of list elements; arenaMaxList is
	// the longest list carved from one.
	arenaChunkLists = 64
	arenaMaxList    = 8
)

// arena holds a decoder's current chunks.
type arena struct {
	strings int    // strings copied so far
	lists   int    // lists made so far
	bytes   []byte // current chunk of string bytes
	elems   []string
}

// copyString returns a string with b's bytes; rest is how many payload
// bytes are left after b (a bound on what later strings can need).
func (a *arena) copyString(b []byte, rest int) string {
	if len(b) == 0 {
		return ""
	}
	a.strings++
	if a.strings <= arenaAfter || len(b) > arenaMaxString {
		return string(b)
	}
	if cap(a.bytes)-len(a.bytes) < len(b) {
		a.bytes = make([]byte, 0, min(arenaChunkBytes, len(b)+rest))
	}
	start := len(a.bytes)
	a.bytes = append(a.bytes, b...)
	return unsafe.String(&a.bytes[start], len(b))
}

// list returns a list of n empty strings to fill (capped: an append to it
// copies); rest is how many payload bytes are left, and every element
// takes at least one.
func (a *arena) list(n, rest int) []string {
	a.lists++
	if a.lists <= arenaAfter || n > arenaMaxList {
		return make([]string, n)
	}
	if cap(a.elems)-len(a.elems) < n {
		a.elems = make([]string, 0, min(arenaChunkLists, n+rest))
	}
	start := len(a.elems)
	a.elems = a.elems[:start+n]
	return a.elems[start : start+n : start+n]
}
