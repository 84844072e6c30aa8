package core

import (
	"encoding/binary"
	"hash/fnv"
)

// registry is the node's replica of the cluster registry: one entry per
// child (tombstones included) and, per node, the instances that node
// claims to run. Replicas in lookups are derived from the claims of alive
// members. Entries merge by version: a higher epoch wins; at equal epochs a
// tombstone wins; then the writer's name breaks the tie.
type registry struct {
	ignoreEpochs bool // Broken.IgnoreEpochs (test-only)
	entries      map[ChildID]*Entry
	claims       map[NodeID]map[ChildID]heldClaim
	// removed remembers, per node, the claims version at which a claim was
	// retracted, so an older message cannot re-add it; cleared by each
	// full list (which supersedes older retractions), hence bounded.
	removed map[NodeID]map[ChildID]uint64
	digest  uint64
	live    int // entries that are not tombstones
	// sorted caches the sorted entry ids; nil when the key set changed.
	sorted []ChildID
	// persistDirty collects the ids of entries written or removed since
	// the last Ready (durable mode only; nil otherwise; persist.go).
	persistDirty map[ChildID]struct{}
}

func newRegistry() *registry {
	return &registry{entries: map[ChildID]*Entry{}, claims: map[NodeID]map[ChildID]heldClaim{}, removed: map[NodeID]map[ChildID]uint64{}}
}

// newer reports whether a supersedes b.
func newer(a, b *Entry) bool {
	if a.Epoch != b.Epoch {
		return a.Epoch > b.Epoch
	}
	if a.Stopped != b.Stopped {
		return a.Stopped
	}
	return a.By > b.By
}

func entryHash(e *Entry) uint64 {
	h := fnv.New64a()
	h.Write([]byte(e.Spec.ID))
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], e.Epoch)
	if e.Stopped {
		b[8] = 1
	}
	h.Write(b[:])
	h.Write([]byte(e.By))
	return h.Sum64()
}

// put stores e if it is newer than the current version; it reports
// whether it did.
func (r *registry) put(e *Entry) bool {
	id := e.Spec.ID
	old, ok := r.entries[id]
	if ok && !newer(e, old) && !r.ignoreEpochs {
		return false
	}
	if ok {
		r.digest ^= entryHash(old)
		if !old.Stopped {
			r.live--
		}
	} else {
		r.sorted = nil
	}
	e.Replicas = nil
	r.entries[id] = e
	if r.persistDirty != nil {
		r.persistDirty[id] = struct{}{}
	}
	r.digest ^= entryHash(e)
	if !e.Stopped {
		r.live++
	}
	return true
}

func (r *registry) remove(id ChildID) {
	if old, ok := r.entries[id]; ok {
		r.digest ^= entryHash(old)
		if !old.Stopped {
			r.live--
		}
		delete(r.entries, id)
		r.sorted = nil
		if r.persistDirty != nil {
			r.persistDirty[id] = struct{}{}
		}
	}
}

// ids returns every entry id (tombstones included) in sorted order. The
// slice is cached until the key set changes; callers must not modify it.
func (r *registry) ids() []ChildID {
	if r.sorted == nil {
		r.sorted = sortedChildKeys(r.entries)
	}
	return r.sorted
}

func (r *registry) get(id ChildID) (*Entry, bool) {
	e, ok := r.entries[id]
	return e, ok
}

// active returns the entry if it exists and is not a tombstone.
func (r *registry) active(id ChildID) (*Entry, bool) {
	e, ok := r.entries[id]
	if !ok || e.Stopped {
		return nil, false
	}
	return e, true
}

// heldClaim is a claim as stored: the child id is the map key and a
// stored claim is never a retraction, so it takes 32 bytes, not 48.
type heldClaim struct {
	epoch, instance, ver uint64
	active               bool
}

func (h heldClaim) claim(id ChildID) Claim {
	return Claim{ID: id, Epoch: h.epoch, Instance: h.instance, Ver: h.ver, Active: h.active}
}

func (r *registry) claim(node NodeID, id ChildID) (Claim, bool) {
	h, ok := r.claims[node][id]
	if !ok {
		return Claim{}, false
	}
	return h.claim(id), true
}

func (r *registry) setClaim(node NodeID, c Claim) {
	m := r.claims[node]
	if m == nil {
		m = map[ChildID]heldClaim{}
		r.claims[node] = m
	}
	m[c.ID] = heldClaim{epoch: c.Epoch, instance: c.Instance, ver: c.Ver, active: c.Active}
}

func (r *registry) dropClaim(node NodeID, id ChildID) bool {
	m := r.claims[node]
	if _, ok := m[id]; !ok {
		return false
	}
	delete(m, id)
	return true
}

// view returns a copy of the entry with Replicas filled from the claims
// of the given alive nodes (sorted).
func (r *registry) view(id ChildID, alive []NodeID) *Entry {
	e, ok := r.entries[id]
	if !ok {
		return nil
	}
	c := e.Clone()
	c.Replicas = c.Replicas[:0]
	for _, n := range alive {
		if cl, ok := r.claims[n][id]; ok {
			c.Replicas = append(c.Replicas, Replica{Node: n, Epoch: cl.epoch, Active: cl.active})
		}
	}
	return c
}
