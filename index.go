package phub

import (
	"hash/maphash"
	"sort"
	"sync/atomic"

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
type index struct {
	seed  maphash.Seed
	tab   atomic.Pointer[indexTable]
	count atomic.Int64 // live entries

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

// indexSlot is empty while hash is 0; a slot once used keeps its hash, so
// probe chains never break, and a nil entry marks a tombstone. The writer
// stores entry before hash, so a reader that sees a hash finds an entry
// or a tombstone, and always compares the id.
type indexSlot struct {
	hash  atomic.Uint64
	entry atomic.Pointer[core.Entry]
}

// indexMinSlots is a new table's size.
const indexMinSlots = 64

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed()}
	ix.tab.Store(newIndexTable(indexMinSlots))
	return ix
}

func newIndexTable(slots int) *indexTable {
	return &indexTable{mask: uint64(slots - 1), slots: make([]indexSlot, slots)}
}

// hash returns id's hash, never 0 (0 marks an empty slot).
func (ix *index) hash(id core.ChildID) uint64 {
	return maphash.String(ix.seed, string(id)) | 1
}

// get returns the live entry of id, or nil. The entry must not be modified.
func (ix *index) get(id core.ChildID) *core.Entry {
	_, e := ix.find(id)
	return e
}

// find returns the slot holding id's live entry and the entry, or nil, nil.
func (ix *index) find(id core.ChildID) (*indexSlot, *core.Entry) {
	h := ix.hash(id)
	t := ix.tab.Load()
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		sh := s.hash.Load()
		if sh == 0 {
			return nil, nil
		}
		if sh == h {
			if e := s.entry.Load(); e != nil && e.Spec.ID == id {
				return s, e
			}
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
	h := ix.hash(id)
	t := ix.tab.Load()
	free := -1 // the first tombstone on the chain, reused if id is absent
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		sh := s.hash.Load()
		if sh == 0 {
			if free >= 0 {
				s = &t.slots[free]
				s.entry.Store(e)
				s.hash.Store(h)
			} else {
				s.entry.Store(e)
				s.hash.Store(h)
				ix.used++
			}
			ix.count.Add(1)
			ix.growIfFull()
			return
		}
		old := s.entry.Load()
		if old == nil {
			if free < 0 {
				free = int(i)
			}
			continue
		}
		if sh == h && old.Spec.ID == id {
			s.entry.Store(e)
			return
		}
	}
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
