package phub

import (
	"hash/maphash"
	"sort"
	"sync"

	"github.com/phub/phub/core"
)

// indexShards is the number of shards of the lookup index; a power of two.
const indexShards = 256

// index is the concurrent lookup index of live registry entries. Only the
// event loop writes it; any goroutine reads it. Entries are immutable
// once stored (core hands out copies), so readers share them.
//
// Each shard is a map behind its own RWMutex, padded to its own cache
// lines, so parallel readers of different ids rarely touch the same line
// and a write costs O(1) (a copy-on-write map would cost O(shard) per
// write batch).
type index struct {
	seed   maphash.Seed
	shards [indexShards]indexShard
}

type indexShard struct {
	mu sync.RWMutex
	m  map[core.ChildID]*core.Entry
	_  [128 - 32]byte // keep neighbouring shards off this shard's lines
}

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed()}
	for i := range ix.shards {
		ix.shards[i].m = make(map[core.ChildID]*core.Entry)
	}
	return ix
}

func (ix *index) shard(id core.ChildID) *indexShard {
	return &ix.shards[maphash.String(ix.seed, string(id))&(indexShards-1)]
}

// get returns the live entry of id, or nil. The entry must not be modified.
func (ix *index) get(id core.ChildID) *core.Entry {
	s := ix.shard(id)
	s.mu.RLock()
	e := s.m[id]
	s.mu.RUnlock()
	return e
}

// apply stores a batch of registry changes; tombstones and nil entries
// remove the id.
func (ix *index) apply(changes []core.RegistryChange) {
	for _, c := range changes {
		s := ix.shard(c.ID)
		s.mu.Lock()
		if c.Entry == nil || c.Entry.Stopped {
			delete(s.m, c.ID)
		} else {
			s.m[c.ID] = c.Entry
		}
		s.mu.Unlock()
	}
}

// replace makes the index hold exactly the given live entries.
func (ix *index) replace(entries []*core.Entry) {
	fresh := make([]map[core.ChildID]*core.Entry, indexShards)
	for i := range fresh {
		fresh[i] = make(map[core.ChildID]*core.Entry)
	}
	for _, e := range entries {
		if e == nil || e.Stopped {
			continue
		}
		fresh[maphash.String(ix.seed, string(e.Spec.ID))&(indexShards-1)][e.Spec.ID] = e
	}
	for i := range ix.shards {
		s := &ix.shards[i]
		s.mu.Lock()
		s.m = fresh[i]
		s.mu.Unlock()
	}
}

// len returns the number of live entries.
func (ix *index) len() int {
	n := 0
	for i := range ix.shards {
		s := &ix.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// list returns the entries accepted by keep (all if keep is nil), sorted
// by id.
func (ix *index) list(keep func(*core.Entry) bool) []*core.Entry {
	var out []*core.Entry
	for i := range ix.shards {
		s := &ix.shards[i]
		s.mu.RLock()
		for _, e := range s.m {
			if keep == nil || keep(e) {
				out = append(out, e)
			}
		}
		s.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.ID < out[j].Spec.ID })
	return out
}
