package phub

import (
	"hash/maphash"
	"maps"
	"sort"
	"sync/atomic"

	"github.com/phub/phub/core"
)

// indexShards is the number of shards of the lookup index; a power of two,
// large so a write batch copies little (about entries/8192 per touched shard:
// a dozen entries at 100,000 children, where 256 shards made 100k-child
// starts quadratic).
const indexShards = 8192

// index is the concurrent lookup index of live registry entries. Only the
// event loop writes it; any goroutine reads it. Entries are immutable once
// stored (core hands out copies), so readers share them.
//
// Each shard is an immutable map behind an atomic pointer: a read is a
// hash, an atomic load and a map lookup, and it writes no shared memory,
// so parallel readers scale (a sharded RWMutex measured 5x slower on two
// cores because RLock bounces the shard's cache line between them). A
// write batch copies every shard it touches once, which costs
// O(entries/indexShards) per touched shard.
type index struct {
	seed   maphash.Seed
	shards [indexShards]atomic.Pointer[map[core.ChildID]*core.Entry]
}

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed()}
	for i := range ix.shards {
		m := map[core.ChildID]*core.Entry{}
		ix.shards[i].Store(&m)
	}
	return ix
}

func (ix *index) shardOf(id core.ChildID) int {
	return int(maphash.String(ix.seed, string(id)) & (indexShards - 1))
}

// get returns the live entry of id, or nil. The entry must not be modified.
func (ix *index) get(id core.ChildID) *core.Entry {
	return (*ix.shards[ix.shardOf(id)].Load())[id]
}

// apply stores a batch of registry changes (only the loop calls it);
// tombstones and nil entries remove the id.
func (ix *index) apply(changes []core.RegistryChange) {
	if len(changes) == 0 {
		return
	}
	copies := map[int]map[core.ChildID]*core.Entry{}
	for _, c := range changes {
		s := ix.shardOf(c.ID)
		m, ok := copies[s]
		if !ok {
			m = maps.Clone(*ix.shards[s].Load())
			if m == nil {
				m = map[core.ChildID]*core.Entry{}
			}
			copies[s] = m
		}
		if c.Entry == nil || c.Entry.Stopped {
			delete(m, c.ID)
		} else {
			m[c.ID] = c.Entry
		}
	}
	for s, m := range copies {
		ix.shards[s].Store(&m)
	}
}

// replace makes the index hold exactly the given live entries.
func (ix *index) replace(entries []*core.Entry) {
	fresh := make([]map[core.ChildID]*core.Entry, indexShards)
	for i := range fresh {
		fresh[i] = map[core.ChildID]*core.Entry{}
	}
	for _, e := range entries {
		if e != nil && !e.Stopped {
			fresh[ix.shardOf(e.Spec.ID)][e.Spec.ID] = e
		}
	}
	for i := range ix.shards {
		ix.shards[i].Store(&fresh[i])
	}
}

// len returns the number of live entries.
func (ix *index) len() int {
	n := 0
	for i := range ix.shards {
		n += len(*ix.shards[i].Load())
	}
	return n
}

// list returns the entries accepted by keep (all if keep is nil), sorted
// by id. Shards are read one after the other, so during a write batch
// the list may mix before and after states of different shards.
func (ix *index) list(keep func(*core.Entry) bool) []*core.Entry {
	var out []*core.Entry
	for i := range ix.shards {
		for _, e := range *ix.shards[i].Load() {
			if keep == nil || keep(e) {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.ID < out[j].Spec.ID })
	return out
}
