package phub

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"unsafe"

	"github.com/phub/phub/core"
)

// index is the concurrent lookup index of live registry entries. Only the
// event loop writes it; any goroutine reads it. Entries are immutable once
// stored (core hands out copies), so readers share them.
//
// It is one open-addressing hash table (linear probing) of atomic slots
// behind an atomic pointer. A read is a hash, an atomic load of the table
// and a probe of a few adjacent slots; it takes no lock and writes no
// shared memory, so parallel readers scale. A write stores into one slot:
// O(1), whatever the number of entries (the copy-on-write shards this
// replaced copied a shard per change, O(entries/shards): quadratic growth
// from 100,000 children on). When tombstones and entries fill 3/4 of the
// table the writer builds a new one and swaps the pointer, amortized O(1)
// per write; readers holding the old table read a consistent older state.
//
// A slot holds its id inline when the id has at most maxInlineID bytes
// (the common case), so a lookup touches one slot and nothing else: it
// neither reads the entry nor the id's bytes elsewhere in memory, which
// among 100,000 children were two more cache misses per lookup, in a
// chain (slot, then entry, then id). Longer ids are compared through the
// entry.
type index struct {
	seed maphash.Seed
	// mix seeds the hash of inline ids (hashKeyed): random per index.
	mix [4]uint64
	// hashBits masks every hash: all ones, except in tests that make ids
	// collide on purpose.
	hashBits uint64
	tab      atomic.Pointer[indexTable]
	count    atomic.Int64 // live entries

	// Writer only (the loop).
	used  int    // slots with a hash: live entries and tombstones
	grown uint64 // tables built by growth (work counter for tests)
	moved uint64 // entries copied by growth (work counter for tests)
}

// indexTable is one generation of the table; its length is a power of two.
type indexTable struct {
	mask  uint64
	slots []indexSlot
}

// indexSlot is empty while hash is 0. The writer sets key, then entry,
// then hash; once a slot has a hash its hash and key never change in this
// table (a new table is built instead), so a reader that sees a hash
// reads a complete key, and every entry the slot ever holds is of the
// same id. A nil entry marks a tombstone: an id with an inline key finds
// and revives its own tombstone, a long id's tombstone stays dead until
// the next table. 32 bytes: two slots per cache line.
type indexSlot struct {
	hash  atomic.Uint64
	entry atomic.Pointer[core.Entry]
	key   indexKey
}

// indexKey is an id of at most maxInlineID bytes, its bytes and its
// length in the last byte, read as two words; longKey marks a longer id.
type indexKey [2]uint64

// maxInlineID is the longest id a slot holds inline.
const maxInlineID = 15

// longKey is the key of every id longer than maxInlineID (a length byte
// no inline key has).
var longKey = indexKey{0, 0xff << 56}

// keyOf returns id's inline key, or longKey: the id's bytes zero-padded
// to 15, then its length. The words are read straight from the id with
// (possibly overlapping) loads instead of a copy into a buffer: a lookup
// computes this on every call.
func keyOf(id core.ChildID) indexKey {
	s, n := string(id), len(id)
	switch {
	case n > maxInlineID:
		return longKey
	case n >= 8:
		// Bytes 8..n-1 are the last n-8 bytes of the word that ends the id.
		return indexKey{le64(s), le64(s[n-8:])>>(8*(16-n)) | uint64(n)<<56}
	case n >= 4:
		return indexKey{uint64(le32(s)) | uint64(le32(s[n-4:]))<<(8*(n-4)), uint64(n) << 56}
	}
	var w uint64
	for i := 0; i < n; i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return indexKey{w, uint64(n) << 56}
}

// le64 and le32 read the first 8 and 4 bytes of s, little-endian.
func le64(s string) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), len(s)))
}

func le32(s string) uint32 {
	return binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// indexMinSlots is a new table's size.
const indexMinSlots = 64

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed(), hashBits: ^uint64(0)}
	for i := range ix.mix {
		ix.mix[i] = rand.Uint64()
	}
	ix.mix[3] |= 1 // odd: the last product is a bijection of its input's low word
	ix.tab.Store(newIndexTable(indexMinSlots))
	return ix
}

func newIndexTable(slots int) *indexTable {
	return &indexTable{mask: uint64(slots - 1), slots: make([]indexSlot, slots)}
}

// hash returns id's hash, never 0 (0 marks an empty slot).
func (ix *index) hash(id core.ChildID) uint64 { return ix.hashKeyed(id, keyOf(id)) }

// hashKeyed returns the hash of id, whose key is k. An inline id hashes
// its two key words with the seeded multiply-fold mixer of wyhash (two
// 64×64→128-bit products, no call); a long id goes through maphash.
func (ix *index) hashKeyed(id core.ChildID, k indexKey) uint64 {
	var h uint64
	if k != longKey {
		h = mulFold(mulFold(k[0]^ix.mix[0], k[1]^ix.mix[1])^ix.mix[2], ix.mix[3])
	} else {
		h = maphash.String(ix.seed, string(id))
	}
	return h&ix.hashBits | 1
}

// mulFold returns the high and low words of a·b xored.
func mulFold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// get returns the live entry of id, or nil. The entry must not be
// modified. It is every local Lookup's whole read path, so it is one call:
// the key and hash of an id of 8 to 15 bytes (the common length) and the
// probe are written out here rather than reached through keyOf,
// hashKeyed and slotOf, which it matches (TestIndexMatchesAMap).
func (ix *index) get(id core.ChildID) *core.Entry {
	var k indexKey
	var h uint64
	if n := len(id); n >= 8 && n <= maxInlineID {
		s := string(id)
		k = indexKey{le64(s), le64(s[n-8:])>>(8*(16-n)) | uint64(n)<<56}
		h = mulFold(mulFold(k[0]^ix.mix[0], k[1]^ix.mix[1])^ix.mix[2], ix.mix[3])&ix.hashBits | 1
	} else {
		k = keyOf(id)
		h = ix.hashKeyed(id, k)
	}
	t := ix.tab.Load()
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		sh := sl.hash.Load()
		if sh == 0 {
			return nil
		}
		if sh != h || sl.key != k {
			continue
		}
		e := sl.entry.Load()
		if k != longKey {
			return e // the id's own slot: live, or a tombstone (nil)
		}
		if e != nil && e.Spec.ID == id {
			return e
		}
	}
}

// find returns the slot holding id's live entry and the entry, or nil, nil.
func (ix *index) find(id core.ChildID) (*indexSlot, *core.Entry) {
	k := keyOf(id)
	s := ix.slotOf(ix.tab.Load(), id, ix.hashKeyed(id, k), k)
	if s == nil {
		return nil, nil
	}
	// Every entry a slot holds is of its id (slotOf compared it).
	if e := s.entry.Load(); e != nil {
		return s, e
	}
	return nil, nil
}

// slotOf returns the slot of t that holds id (hash h, key k) with an
// inline key, live or a tombstone; for a long id, the slot holding its
// live entry. It returns nil if there is none.
func (ix *index) slotOf(t *indexTable, id core.ChildID, h uint64, k indexKey) *indexSlot {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		sh := s.hash.Load()
		if sh == 0 {
			return nil
		}
		if sh != h || s.key != k {
			continue
		}
		if k != longKey {
			return s
		}
		if e := s.entry.Load(); e != nil && e.Spec.ID == id {
			return s
		}
	}
}

// apply stores a batch of registry changes (only the loop calls it);
// tombstones and nil entries remove the id.
func (ix *index) apply(changes []core.RegistryChange) {
	for _, c := range changes {
		if c.Entry == nil || c.Entry.Stopped {
			ix.remove(c.ID)
		} else {
			ix.put(c.ID, c.Entry)
		}
	}
}

// put stores e as id's entry (writer only).
func (ix *index) put(id core.ChildID, e *core.Entry) {
	k := keyOf(id)
	h := ix.hashKeyed(id, k)
	t := ix.tab.Load()
	if s := ix.slotOf(t, id, h, k); s != nil {
		if s.entry.Swap(e) == nil {
			ix.count.Add(1) // a revived tombstone
		}
		return
	}
	i := h & t.mask
	for t.slots[i].hash.Load() != 0 {
		i = (i + 1) & t.mask
	}
	s := &t.slots[i]
	s.key = k
	s.entry.Store(e)
	s.hash.Store(h)
	ix.used++
	ix.count.Add(1)
	ix.growIfFull()
}

// remove deletes id's entry, leaving a tombstone (writer only).
func (ix *index) remove(id core.ChildID) {
	if s, e := ix.find(id); e != nil {
		s.entry.Store(nil)
		ix.count.Add(-1)
	}
}

// growIfFull replaces the table by one at most half full of live entries
// when live entries and tombstones fill 3/4 of it (writer only).
func (ix *index) growIfFull() {
	t := ix.tab.Load()
	if ix.used*4 < len(t.slots)*3 {
		return
	}
	live := int(ix.count.Load())
	size := indexMinSlots
	for size < 2*live+2 {
		size *= 2
	}
	nt := newIndexTable(size)
	for i := range t.slots {
		e := t.slots[i].entry.Load()
		if e == nil {
			continue
		}
		h := t.slots[i].hash.Load()
		j := h & nt.mask
		for nt.slots[j].hash.Load() != 0 {
			j = (j + 1) & nt.mask
		}
		nt.slots[j].key = t.slots[i].key
		nt.slots[j].entry.Store(e)
		nt.slots[j].hash.Store(h)
		ix.moved++
	}
	ix.used = live
	ix.grown++
	ix.tab.Store(nt)
}

// replace makes the index hold exactly the given live entries.
func (ix *index) replace(entries []*core.Entry) {
	ix.count.Store(0)
	ix.used = 0
	ix.tab.Store(newIndexTable(indexMinSlots))
	for _, e := range entries {
		if e != nil && !e.Stopped {
			ix.put(e.Spec.ID, e)
		}
	}
}

// len returns the number of live entries.
func (ix *index) len() int { return int(ix.count.Load()) }

// list returns the entries accepted by keep (all if keep is nil), sorted
// by id. Slots are read one after the other, so during a write batch the
// list may mix before and after states of different entries.
func (ix *index) list(keep func(*core.Entry) bool) []*core.Entry {
	t := ix.tab.Load()
	out := make([]*core.Entry, 0, ix.len())
	for i := range t.slots {
		if e := t.slots[i].entry.Load(); e != nil && (keep == nil || keep(e)) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.ID < out[j].Spec.ID })
	return out
}
