package phub

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"github.com/phub/phub/core"
)

// TestIndexMatchesAMap: any sequence of puts and removes over a small id
// space (so ids are removed, re-inserted and tombstones reused), with ids
// short enough to sit inline in a slot, longer ones, or both, and hashes
// whole or cut to 3 bits (colliding), leaves the
// index answering get, len and list exactly as a plain map does.
func TestIndexMatchesAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ix := newIndex()
		if rapid.Bool().Draw(t, "collide") {
			ix.hashBits = 0x7 // 8 hashes: most ids share theirs with others
		}
		model := map[core.ChildID]*core.Entry{}
		ids := rapid.IntRange(1, 300).Draw(t, "ids")
		steps := rapid.IntRange(0, 2000).Draw(t, "steps")
		// idOf(i) has 1 to 7 bytes, 8 to maxInlineID bytes (both keyed
		// inline), is longer (keyed by its hash), or any of these by i.
		form := rapid.SampledFrom([]string{"short", "medium", "long", "mixed"}).Draw(t, "form")
		idOf := func(i int) core.ChildID {
			switch {
			case form == "long" || (form == "mixed" && i%3 == 1):
				return core.ChildID(fmt.Sprintf("a-child-id-longer-than-inline-%d", i))
			case form == "medium" || (form == "mixed" && i%3 == 2):
				return core.ChildID(fmt.Sprintf("child-%0*d", 2+i%8, i))
			}
			return core.ChildID(fmt.Sprintf("%0*d", 1+i%7, i))
		}
		for s := 0; s < steps; s++ {
			id := idOf(rapid.IntRange(0, ids-1).Draw(t, "id"))
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1:
				e := &core.Entry{Spec: core.ChildSpec{ID: id}, Epoch: uint64(s)}
				ix.apply([]core.RegistryChange{{ID: id, Entry: e}})
				model[id] = e
			case 2:
				ix.apply([]core.RegistryChange{{ID: id}})
				delete(model, id)
			case 3:
				ix.apply([]core.RegistryChange{{ID: id, Entry: &core.Entry{Spec: core.ChildSpec{ID: id}, Stopped: true}}})
				delete(model, id)
			}
		}
		if ix.len() != len(model) {
			t.Fatalf("len %d, model %d", ix.len(), len(model))
		}
		for i := 0; i < ids; i++ {
			id := idOf(i)
			if got, want := ix.get(id), model[id]; got != want {
				t.Fatalf("get(%s) = %v, model %v", id, got, want)
			}
		}
		l := ix.list(nil)
		if len(l) != len(model) {
			t.Fatalf("list has %d entries, model %d", len(l), len(model))
		}
		for i, e := range l {
			if model[e.Spec.ID] != e || (i > 0 && l[i-1].Spec.ID >= e.Spec.ID) {
				t.Fatalf("list[%d] = %s: not the model's entry or not sorted", i, e.Spec.ID)
			}
		}
		// The table stays at most 3/4 used, so every probe ends.
		tab := ix.tab.Load()
		if ix.used*4 >= len(tab.slots)*3 {
			t.Fatalf("%d of %d slots used", ix.used, len(tab.slots))
		}
	})
}

// indexWork inserts n ids in batches of 256, removes them all and inserts
// them again, and returns the bytes the index allocated, the entries
// growth copied and the slots probes visited, per id.
func indexWork(n int) (bytesPerID, movedPerID, probesPerID float64) {
	ix := newIndex()
	ids := make([]core.ChildID, n)
	for i := range ids {
		ids[i] = core.ChildID(fmt.Sprintf("child-%d", i))
	}
	var puts, removes [][]core.RegistryChange
	for lo := 0; lo < n; lo += 256 {
		var p, r []core.RegistryChange
		for _, id := range ids[lo:min(lo+256, n)] {
			p = append(p, core.RegistryChange{ID: id, Entry: &core.Entry{Spec: core.ChildSpec{ID: id}}})
			r = append(r, core.RegistryChange{ID: id})
		}
		puts, removes = append(puts, p), append(removes, r)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for _, bs := range [][][]core.RegistryChange{puts, removes, puts} {
		for _, b := range bs {
			ix.apply(b)
		}
	}
	runtime.ReadMemStats(&m1)
	probes := 0
	tab := ix.tab.Load()
	for _, id := range ids {
		h := ix.hash(id)
		for i := h & tab.mask; ; i = (i + 1) & tab.mask {
			probes++
			if e := tab.slots[i].entry.Load(); e != nil && e.Spec.ID == id {
				break
			}
		}
	}
	return float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n), float64(ix.moved) / float64(n), float64(probes) / float64(n)
}

// TestIndexWorkPerChildIsConstant: the index's work per child — bytes
// allocated, entries copied when the table grows, slots a lookup probes —
// does not grow with
// the number of children (1k, 10k, 100k). The copy-on-write shards it
// replaced copied ~children/8192 entries per change, 10× more per child
// at 100k than at 10k (100k start 1.3 s → 4.7 s).
func TestIndexWorkPerChildIsConstant(t *testing.T) {
	for _, n := range []int{1000, 10000, 100000} {
		bytes, moved, probes := indexWork(n)
		t.Logf("%d children: %.0f bytes allocated, %.2f entries copied by growth, %.2f slots probed per lookup, per child", n, bytes, moved, probes)
		if bytes > 256 {
			t.Errorf("%d children: the index allocated %.0f bytes per child for 3 passes, want ≤ 256 (its table only)", n, bytes)
		}
		if moved > 4 {
			t.Errorf("%d children: growth copied %.2f entries per child, want ≤ 4 (amortized O(1))", n, moved)
		}
		if probes > 3 {
			t.Errorf("%d children: a lookup probed %.2f slots on average, want ≤ 3", n, probes)
		}
	}
}

// TestIndexConcurrentReaders: readers running during writes, growth and
// removals see, for each id, either no entry or an entry of that id
// (run with -race for the memory model); a third of the ids are too long
// to sit inline in a slot, a third have 7 to 10 bytes.
func TestIndexConcurrentReaders(t *testing.T) {
	ix := newIndex()
	const n = 5000
	ids := make([]core.ChildID, n)
	for i := range ids {
		ids[i] = core.ChildID(fmt.Sprintf("c%d", i))
		if i%3 == 0 {
			ids[i] = core.ChildID(fmt.Sprintf("a-child-id-longer-than-inline-%d", i))
		} else if i%3 == 1 {
			ids[i] = core.ChildID(fmt.Sprintf("child-%d", i))
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 2)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := r; !stop.Load(); i++ {
				id := ids[i%n]
				if e := ix.get(id); e != nil && e.Spec.ID != id {
					errs <- fmt.Sprintf("get(%s) returned %s", id, e.Spec.ID)
					return
				}
			}
		}(r)
	}
	for round := 0; round < 3; round++ {
		for _, id := range ids {
			ix.apply([]core.RegistryChange{{ID: id, Entry: &core.Entry{Spec: core.ChildSpec{ID: id}}}})
		}
		for _, id := range ids[:n/2] {
			ix.apply([]core.RegistryChange{{ID: id}})
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if ix.len() != n/2 {
		t.Fatalf("len %d, want %d", ix.len(), n/2)
	}
}

// BenchmarkIndexGet measures index.get alone among 1,000, 10,000 and
// 100,000 entries, in insertion order, with keys allocated apart from the
// entries' ids (as a caller's are), in wall time and thread CPU time.
func BenchmarkIndexGet(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			ix := newIndex()
			keys := make([]core.ChildID, n)
			for i := range keys {
				id := core.ChildID(fmt.Sprintf("s0-%d", i))
				ix.put(id, &core.Entry{Spec: core.ChildSpec{ID: id, Kind: "noop"}, Epoch: 1, Replicas: []core.Replica{{Node: "n1", Epoch: 1, Active: true}}})
				keys[i] = core.ChildID(fmt.Sprintf("s0-%d", i))
			}
			b.ReportAllocs()
			b.ResetTimer()
			defer ReportCPUPerOp(b)()
			for i, j := 0, 0; i < b.N; i++ {
				if ix.get(keys[j]) == nil {
					b.Fatal("missing")
				}
				if j++; j == n {
					j = 0
				}
			}
		})
	}
}

// TestInlineKeyIsTheZeroPaddedBytesAndLength: inlineKey, which reads an
// id with overlapping word loads, gives every id of 0 to 15 bytes exactly
// the key of its bytes zero-padded to 15 followed by its length (so two
// ids share a key only if they are equal), and refuses every longer id,
// whose key is its hash and longTag (a length no inline key has).
func TestInlineKeyIsTheZeroPaddedBytesAndLength(t *testing.T) {
	ix := newIndex()
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "id")
		id := core.ChildID(b)
		got, ok := inlineKey(id)
		k, h := ix.keyHash(id)
		if len(b) > maxInlineID {
			if ok {
				t.Fatalf("inlineKey(%q) = %#x for a long id", b, got)
			}
			if k != (indexKey{h, longTag}) || h != ix.hashOfKey(k) {
				t.Fatalf("long id %q: key %#x, hash %#x", b, k, h)
			}
			return
		}
		var w [16]byte
		copy(w[:], b)
		w[15] = byte(len(b))
		want := indexKey{binary.LittleEndian.Uint64(w[:8]), binary.LittleEndian.Uint64(w[8:])}
		if !ok || got != want {
			t.Fatalf("inlineKey(%q) = %#x %v, want %#x", b, got, ok, want)
		}
		if k != want || h != ix.hashOfKey(k) {
			t.Fatalf("keyHash(%q) = %#x %#x, want key %#x hash %#x", b, k, h, want, ix.hashOfKey(k))
		}
	})
}

// TestIndexBatchGrowsOnce: a batch of new entries that fills the table
// grows it once, with room for the rest of the batch, instead of doubling
// it again and again (a 10,000-child start's batch at a fresh node grew
// it 8 times, copying 12,240 entries); a batch of entries the index holds
// already (a start's claims reaching a replica) grows nothing.
func TestIndexBatchGrowsOnce(t *testing.T) {
	const n = 10000
	ix := newIndex()
	changes := make([]core.RegistryChange, n)
	for i := range changes {
		id := core.ChildID(fmt.Sprintf("child-%d", i))
		changes[i] = core.RegistryChange{ID: id, Entry: &core.Entry{Spec: core.ChildSpec{ID: id}}}
	}
	ix.apply(changes)
	if ix.grown != 1 || ix.moved > indexMinSlots {
		t.Errorf("a batch of %d new entries grew the table %d times, copying %d entries; want once, at most %d", n, ix.grown, ix.moved, indexMinSlots)
	}
	if got := len(ix.tab.Load().slots); got > 4*n {
		t.Errorf("the table has %d slots for %d entries, want ≤ %d", got, n, 4*n)
	}
	again := make([]core.RegistryChange, n)
	for i, c := range changes {
		again[i] = core.RegistryChange{ID: c.ID, Entry: &core.Entry{Spec: c.Entry.Spec, Epoch: 1}}
	}
	grown := ix.grown
	ix.apply(again)
	if ix.grown != grown || ix.len() != n {
		t.Errorf("re-putting %d held entries grew the table %d times (%d live), want none", n, ix.grown-grown, ix.len())
	}
	for _, c := range again {
		if e := ix.get(c.ID); e != c.Entry {
			t.Fatalf("%s: got %+v, want the re-put entry", c.ID, e)
		}
	}
}
