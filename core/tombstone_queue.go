package core

import (
	"fmt"
	"slices"
)

// tombstoneQueue holds the registry's tombstones in order of StoppedAt
// (then id), so collecting the expired ones costs O(collected · log n)
// instead of a walk over every id (tombstone_grid.go). It is a binary
// min-heap with lazy deletion: put pushes every tombstone it writes, and
// an item whose id no longer holds that tombstone (collected, replaced by
// a newer start or a later tombstone) is skipped when it reaches the top.
// Stale items are bounded: once they outnumber the live tombstones
// (plus a slack), the queue is rebuilt from the registry.
type tombstoneQueue struct {
	items []tombstoneItem
}

// tombstoneItem is one queued tombstone: its id and its StoppedAt.
type tombstoneItem struct {
	at Instant
	id ChildID
}

func (a tombstoneItem) less(b tombstoneItem) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.id < b.id
}

func (q *tombstoneQueue) push(it tombstoneItem) {
	q.items = append(q.items, it)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.items[i].less(q.items[p]) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

// top returns the item with the lowest StoppedAt, if any.
func (q *tombstoneQueue) top() (tombstoneItem, bool) {
	if len(q.items) == 0 {
		return tombstoneItem{}, false
	}
	return q.items[0], true
}

func (q *tombstoneQueue) pop() {
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items[last] = tombstoneItem{}
	q.items = q.items[:last]
	q.down(0)
}

func (q *tombstoneQueue) down(i int) {
	n := len(q.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q.items[r].less(q.items[l]) {
			m = r
		}
		if !q.items[m].less(q.items[i]) {
			return
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
}

// queueTombstone records that id now holds a tombstone stopped at at.
func (r *registry) queueTombstone(id ChildID, at Instant) {
	r.tombs.push(tombstoneItem{at: at, id: id})
	r.trimTombstoneQueue()
}

// trimTombstoneQueue rebuilds the queue once its items exceed twice the
// tombstones (plus a slack): put and remove call it, so the queue stays
// within that bound at amortized O(1) per write.
func (r *registry) trimTombstoneQueue() {
	if len(r.tombs.items) > 2*(r.count-r.live)+64 {
		r.rebuildTombstoneQueue()
	}
}

// rebuildTombstoneQueue drops the stale and duplicate items (an id
// stopped again at the same instant after a restart is pushed twice): the
// queue then holds exactly the registry's tombstones, sorted (a sorted
// slice is a heap).
func (r *registry) rebuildTombstoneQueue() {
	kept := r.tombs.items[:0]
	for _, it := range r.tombs.items {
		if r.holdsTombstone(it) {
			kept = append(kept, it)
		}
	}
	clear(r.tombs.items[len(kept):])
	slices.SortFunc(kept, func(a, b tombstoneItem) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	r.tombs.items = slices.Compact(kept)
}

// holdsTombstone reports whether it is current: its id holds a tombstone
// stopped at it.at.
func (r *registry) holdsTombstone(it tombstoneItem) bool {
	_, at, ok := r.tombstone(it.id)
	return ok && at == it.at
}

// oldestTombstone returns the id and StoppedAt of the tombstone with the
// lowest StoppedAt (ties by id), dropping stale items on the way.
func (r *registry) oldestTombstone() (ChildID, Instant, bool) {
	for {
		it, ok := r.tombs.top()
		if !ok {
			return "", 0, false
		}
		if r.holdsTombstone(it) {
			return it.id, it.at, true
		}
		r.tombs.pop()
	}
}

// tombstoneQueueInvariant checks that every tombstone of the registry is
// queued with its StoppedAt.
func (r *registry) tombstoneQueueInvariant() error {
	queued := make(map[tombstoneItem]bool, len(r.tombs.items))
	for _, it := range r.tombs.items {
		queued[it] = true
	}
	var err error
	r.eachEntry(func(id ChildID, rec record) {
		if err == nil && rec.stopped {
			if it := (tombstoneItem{at: r.shapes.list[rec.shape].stoppedAt, id: id}); !queued[it] {
				err = fmt.Errorf("registry tombstone %q (stopped at %d) is not queued for collection", id, it.at)
			}
		}
	})
	return err
}
