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
// chain (slot, then entry, then id). A longer id's slot holds the id's
// 64-bit hash instead, and the id is compared through the entry when the
// hashes match.
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
	used  int    // slots holding an entry or a tombstone
	grown uint64 // tables built by growth (work counter for tests)
	moved uint64 // entries copied by growth (work counter for tests)
}

// indexTable is one generation of the table; its length is a power of two.
type indexTable struct {
	mask  uint64
	slots []indexSlot
}

// indexSlot is empty while its entry is nil. The writer sets key, then
// stores the entry; once a slot has an entry its key never changes in this
// table (a new table is built instead) and its entry never becomes nil
// again, so a reader that loads a non-nil entry reads a complete key, and
// every entry the slot ever holds is of the same id (or, for a long id,
// of an id with the same hash until the slot is a tombstone). The entry
// indexTombstone marks a removed id: an id with an inline key finds and
// revives its own tombstone, a long id's tombstone stays dead until the
// next table. 24 bytes, no stored hash: the key is what a probe compares,
// and a table of 100,000 children is 6 MiB instead of 8 (fewer cache and
// TLB misses per lookup).
type indexSlot struct {
	key   indexKey
	entry atomic.Pointer[core.Entry]
}

// indexTombstone is the entry of a removed id's slot; never returned.
var indexTombstone = new(core.Entry)

// indexKey is an id of at most maxInlineID bytes, its bytes and its
// length in the last byte, read as two words; for a longer id, its hash
// and longTag.
type indexKey [2]uint64

// maxInlineID is the longest id a slot holds inline.
const maxInlineID = 15

// longTag is the second word of every longer id's key (a length byte no
// inline key has).
const longTag = 0xff << 56

// inlineKey returns id's inline key — the id's bytes zero-padded to 15,
// then its length — and true, or false if id is longer than maxInlineID.
// The words are read straight from the id with (possibly overlapping)
// loads instead of a copy into a buffer: a lookup computes this on every
// call.
func inlineKey(id core.ChildID) (indexKey, bool) {
	s, n := string(id), len(id)
	switch {
	case n > maxInlineID:
		return indexKey{}, false
	case n >= 8:
		// Bytes 8..n-1 are the last n-8 bytes of the word that ends the id.
		return indexKey{le64(s), le64(s[n-8:])>>(8*(16-n)) | uint64(n)<<56}, true
	case n >= 4:
		return indexKey{uint64(le32(s)) | uint64(le32(s[n-4:]))<<(8*(n-4)), uint64(n) << 56}, true
	}
	var w uint64
	for i := 0; i < n; i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return indexKey{w, uint64(n) << 56}, true
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

// keyHash returns id's key and the hash that places it in a table.
func (ix *index) keyHash(id core.ChildID) (indexKey, uint64) {
	if k, ok := inlineKey(id); ok {
		return k, ix.hashInline(k)
	}
	h := maphash.String(ix.seed, string(id)) & ix.hashBits
	return indexKey{h, longTag}, h
}

// hash returns the hash that places id in a table.
func (ix *index) hash(id core.ChildID) uint64 {
	_, h := ix.keyHash(id)
	return h
}

// hashOfKey returns the hash of the id whose key is k (a long id's key
// holds it).
func (ix *index) hashOfKey(k indexKey) uint64 {
	if k[1] == longTag {
		return k[0]
	}
	return ix.hashInline(k)
}

// hashInline returns the hash of an inline key: its two words through
// the seeded multiply-fold mixer of wyhash (two 64×64→128-bit products,
// no call).
func (ix *index) hashInline(k indexKey) uint64 {
	return mulFold(mulFold(k[0]^ix.mix[0], k[1]^ix.mix[1])^ix.mix[2], ix.mix[3]) & ix.hashBits
}

// mulFold returns the high and low words of a·b xored.
func mulFold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// get returns the live entry of id, or nil. The entry must not be
// modified. It is every local Lookup's whole read path, so it is one call
// for every inline id: the key (inlineKey's) and hash are written out
// here rather than reached through keyHash, and the probe rather than
// through slotOf, which it matches (TestIndexMatchesAMap). Through the
// calls, a lookup of an id of 4 to 7 bytes took 3× the CPU time of one
// of 8 to 15 (BenchmarkIndexGet's cpu-ns/op among 1,000: 23 against 7).
func (ix *index) get(id core.ChildID) *core.Entry {
	var k indexKey
	var h uint64
	s, n := string(id), len(id)
	if n > maxInlineID {
		k, h = ix.keyHash(id)
	} else {
		switch {
		case n >= 8:
			k = indexKey{le64(s), le64(s[n-8:])>>(8*(16-n)) | uint64(n)<<56}
		case n >= 4:
			k = indexKey{uint64(le32(s)) | uint64(le32(s[n-4:]))<<(8*(n-4)), uint64(n) << 56}
		default:
			var w uint64
			for i := 0; i < n; i++ {
				w |= uint64(s[i]) << (8 * i)
			}
			k = indexKey{w, uint64(n) << 56}
		}
		h = mulFold(mulFold(k[0]^ix.mix[0], k[1]^ix.mix[1])^ix.mix[2], ix.mix[3]) & ix.hashBits
	}
	t := ix.tab.Load()
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		sl := &t.slots[i]
		e := sl.entry.Load()
		if e == nil {
			return nil
		}
		if sl.key != k {
			continue
		}
		if k[1] != longTag {
			// The id's own slot: live, or a tombstone.
			if e == indexTombstone {
				return nil
			}
			return e
		}
		if e != indexTombstone && e.Spec.ID == id {
			return e
		}
	}
}

// find returns the slot holding id's live entry and the entry, or nil, nil.
func (ix *index) find(id core.ChildID) (*indexSlot, *core.Entry) {
	k, h := ix.keyHash(id)
	s := ix.slotOf(ix.tab.Load(), id, h, k)
	if s == nil {
		return nil, nil
	}
	// Every entry a slot holds is of its id (slotOf compared it).
	if e := s.entry.Load(); e != indexTombstone {
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
		e := s.entry.Load()
		if e == nil {
			return nil
		}
		if s.key != k {
			continue
		}
		if k[1] != longTag {
			return s
		}
		if e != indexTombstone && e.Spec.ID == id {
			return s
		}
	}
}

// apply stores a batch of registry changes (only the loop calls it);
// tombstones and nil entries remove the id. A table that fills up during
// the batch is replaced by one with room for the batch's remaining
// entries as well (growIfFull), not doubled again and again: a 10,000-
// child start's batches on a fresh node grew it up to 9 times, copying
// every entry each time — 40% of the index's part of the start's CPU in
// a profile of 25 runs (each slot an atomic store with the collector's
// write barrier while it runs).
func (ix *index) apply(changes []core.RegistryChange) {
	puts := 0
	for i := range changes {
		if e := changes[i].Entry; e != nil && !e.Stopped {
			puts++
		}
	}
	for _, c := range changes {
		if c.Entry == nil || c.Entry.Stopped {
			ix.remove(c.ID)
		} else {
			puts--
			ix.putMore(c.ID, c.Entry, puts)
		}
	}
}

// put stores e as id's entry (writer only).
func (ix *index) put(id core.ChildID, e *core.Entry) { ix.putMore(id, e, 0) }

// putMore is put followed by at most more puts: a table it fills is
// replaced by one with room for them too (an id already held takes no
// new slot, so the room may exceed the need by up to more).
func (ix *index) putMore(id core.ChildID, e *core.Entry, more int) {
	k, h := ix.keyHash(id)
	t := ix.tab.Load()
	if s := ix.slotOf(t, id, h, k); s != nil {
		if s.entry.Swap(e) == indexTombstone {
			ix.count.Add(1) // a revived tombstone
		}
		return
	}
	i := h & t.mask
	for t.slots[i].entry.Load() != nil {
		i = (i + 1) & t.mask
	}
	s := &t.slots[i]
	s.key = k
	s.entry.Store(e)
	ix.used++
	ix.count.Add(1)
	ix.growIfFull(more)
}

// remove deletes id's entry, leaving a tombstone (writer only).
func (ix *index) remove(id core.ChildID) {
	if s, e := ix.find(id); e != nil {
		s.entry.Store(indexTombstone)
		ix.count.Add(-1)
	}
}

// growIfFull replaces the table by one at most half full of its live
// entries and more to come when live entries and tombstones fill 3/4 of
// it (writer only).
func (ix *index) growIfFull(more int) {
	t := ix.tab.Load()
	if ix.used*4 < len(t.slots)*3 {
		return
	}
	live := int(ix.count.Load())
	size := indexMinSlots
	for size < 2*(live+more)+2 {
		size *= 2
	}
	nt := newIndexTable(size)
	for i := range t.slots {
		e := t.slots[i].entry.Load()
		if e == nil || e == indexTombstone {
			continue
		}
		k := t.slots[i].key
		j := ix.hashOfKey(k) & nt.mask
		for nt.slots[j].entry.Load() != nil {
			j = (j + 1) & nt.mask
		}
		nt.slots[j].key = k
		nt.slots[j].entry.Store(e)
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
		if e := t.slots[i].entry.Load(); e != nil && e != indexTombstone && (keep == nil || keep(e)) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.ID < out[j].Spec.ID })
	return out
}
