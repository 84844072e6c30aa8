package core

import "fmt"

// digestWatch checks the registry digest after every input in O(changes)
// instead of O(entries): it remembers the digest when the input began
// and, for each entry the input changed, that entry's hash before its
// first change (put and remove report it through noteTouch before they
// change anything). After the input, the old digest with the old hashes
// taken out and the current ones put in must equal the registry's
// digest; a path that changes an entry and forgets (or botches) the
// digest fails at that input. The full recomputation (registryInvariant)
// still runs at invariantSampler's pace.
type digestWatch struct {
	on     bool // Config.CheckInvariants
	start  uint64
	before map[ChildID]uint64 // 0: the id had no entry
}

// noteTouch records id's hash before the first change of this input.
func (r *registry) noteTouch(id ChildID) {
	w := &r.watch
	if !w.on {
		return
	}
	if _, ok := w.before[id]; ok {
		return
	}
	var h uint64
	if rec, ok := r.rec(id); ok {
		h = r.recordHash(id, rec)
	}
	w.before[id] = h
}

// watchDigest turns the watch on (Config.CheckInvariants).
func (r *registry) watchDigest() {
	r.watch = digestWatch{on: true, start: r.digest, before: map[ChildID]uint64{}}
}

// digestChangeInvariant checks the digest against this input's changes
// and starts the next input's watch.
func (r *registry) digestChangeInvariant() error {
	w := &r.watch
	if !w.on {
		return nil
	}
	want := w.start
	for id, h := range w.before { // xor: the order does not matter
		want ^= h
		if rec, ok := r.rec(id); ok {
			want ^= r.recordHash(id, rec)
		}
	}
	n := len(w.before)
	if n > 256 { // a large input: do not keep (and clear) its capacity
		w.before = map[ChildID]uint64{}
	} else {
		clear(w.before)
	}
	w.start = r.digest
	if want != r.digest {
		return fmt.Errorf("registry digest %d after this input's %d entry changes, recomputed from them %d", r.digest, n, want)
	}
	return nil
}
