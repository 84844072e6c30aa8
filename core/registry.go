package core

// registry is the node's replica of the cluster registry: one entry per
// child (tombstones included) and, per node, the instances that node
// claims to run. Replicas in lookups are derived from the claims of alive
// members. Entries merge by version: a higher epoch wins; at equal epochs a
// tombstone wins; then the writer's name breaks the tie.
//
// Entries are stored as compact records (record.go) and built as Entry
// values only when read: get, active and view return fresh copies that
// the caller may keep; changing one changes nothing until it is put.
type registry struct {
	ignoreEpochs bool        // Broken.IgnoreEpochs (test-only)
	staleDigest  bool        // Broken.DigestIgnoresRemoval (test-only)
	watch        digestWatch // invariant_digest.go (Config.CheckInvariants)
	entries      map[ChildID]record
	shapes       shapeTable
	rare         map[ChildID]*rareFields
	claims       map[NodeID]map[ChildID]heldClaim
	// removed remembers, per node, the claims version at which a claim was
	// retracted, so an older message cannot re-add it; cleared by each
	// full list (which supersedes older retractions), hence bounded.
	removed map[NodeID]map[ChildID]uint64
	digest  uint64
	live    int // entries that are not tombstones
	// epochFloor is the highest epoch of a collected tombstone
	// (epochfloor.go).
	epochFloor uint64
	// sorted caches the sorted entry ids; nil when the key set changed.
	sorted []ChildID
	// persistDirty collects the ids of entries written or removed since
	// the last Ready (durable mode only; nil otherwise; persist.go).
	persistDirty map[ChildID]struct{}
}

func newRegistry() *registry {
	return &registry{entries: map[ChildID]record{}, rare: map[ChildID]*rareFields{}, claims: map[NodeID]map[ChildID]heldClaim{}, removed: map[NodeID]map[ChildID]uint64{}}
}

// newer reports whether a supersedes b.
func newer(a, b *Entry) bool {
	return newerVersion(a.Epoch, a.Stopped, a.By, b.Epoch, b.Stopped, b.By)
}

// newerVersion reports whether version (ea, sa, ba) supersedes (eb, sb, bb).
func newerVersion(ea uint64, sa bool, ba NodeID, eb uint64, sb bool, bb NodeID) bool {
	if ea != eb {
		return ea > eb
	}
	if sa != sb {
		return sa
	}
	return ba > bb
}

func entryHash(e *Entry) uint64 {
	return versionHash(e.Spec.ID, e.Epoch, e.Stopped, e.By)
}

// versionHash hashes the version of an entry (FNV-1a, allocation-free):
// the registry digest is the xor of its entries' version hashes.
func versionHash(id ChildID, epoch uint64, stopped bool, by NodeID) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * prime
	}
	for i := 56; i >= 0; i -= 8 {
		h = (h ^ uint64(byte(epoch>>i))) * prime
	}
	var st uint64
	if stopped {
		st = 1
	}
	h = (h ^ st) * prime
	h *= prime // a zero byte between the fields
	for i := 0; i < len(by); i++ {
		h = (h ^ uint64(by[i])) * prime
	}
	return h
}

// put stores e if it is newer than the current version; it reports
// whether it did. The registry keeps a compact copy of e: later changes to
// e are not seen, and e's Replicas are cleared (they are derived from
// claims).
func (r *registry) put(e *Entry) bool {
	id := e.Spec.ID
	old, ok := r.entries[id]
	if ok && !r.ignoreEpochs {
		if !newerVersion(e.Epoch, e.Stopped, e.By, old.epoch, old.stopped, r.shapes.list[old.shape].by) {
			return false
		}
	}
	r.noteTouch(id)
	if ok {
		r.digest ^= r.recordHash(id, old)
		if !old.stopped {
			r.live--
		}
		r.drop(id, old)
	} else {
		r.sorted = nil
	}
	e.Replicas = nil
	rec := r.store(e)
	r.entries[id] = rec
	if r.persistDirty != nil {
		r.persistDirty[id] = struct{}{}
	}
	r.digest ^= r.recordHash(id, rec)
	if !rec.stopped {
		r.live++
	}
	return true
}

func (r *registry) remove(id ChildID) {
	if old, ok := r.entries[id]; ok {
		r.noteTouch(id)
		if !r.staleDigest {
			r.digest ^= r.recordHash(id, old)
		}
		if !old.stopped {
			r.live--
		}
		r.drop(id, old)
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

// get returns a copy of id's entry (tombstones included).
func (r *registry) get(id ChildID) (*Entry, bool) {
	rec, ok := r.entries[id]
	if !ok {
		return nil, false
	}
	return r.entry(id, rec), true
}

// has reports whether the registry holds an entry (or tombstone) for id.
func (r *registry) has(id ChildID) bool {
	_, ok := r.entries[id]
	return ok
}

// isActive reports whether id has an entry that is not a tombstone
// (active without the copy).
func (r *registry) isActive(id ChildID) bool {
	rec, ok := r.entries[id]
	return ok && !rec.stopped
}

// len returns the number of entries, tombstones included.
func (r *registry) len() int { return len(r.entries) }

// activeInto is active without an allocation: it fills *dst with the
// entry and reports whether it exists and is not a tombstone.
func (r *registry) activeInto(dst *Entry, id ChildID) bool {
	rec, ok := r.entries[id]
	if !ok || rec.stopped {
		return false
	}
	r.fill(dst, id, rec)
	return true
}

// active returns a copy of the entry if it exists and is not a tombstone.
func (r *registry) active(id ChildID) (*Entry, bool) {
	rec, ok := r.entries[id]
	if !ok || rec.stopped {
		return nil, false
	}
	return r.entry(id, rec), true
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
// of the given alive nodes (sorted); incarnation names each node's
// current incarnation (the membership's).
func (r *registry) view(id ChildID, alive []NodeID, incarnation func(NodeID) uint64) *Entry {
	rec, ok := r.entries[id]
	if !ok {
		return nil
	}
	var v viewBuilder
	for _, n := range alive {
		if cl, ok := r.claims[n][id]; ok {
			v.add(r, id, rec, Replica{Node: n, Incarnation: incarnation(n), Epoch: cl.epoch, Active: cl.active})
		}
	}
	return v.entry(r, id, rec)
}

// viewBuilder builds one view's Entry from the replicas found, in
// order, with as few allocations as the count allows: none kept for no
// replica but the entry, one for the entry and a single replica (the
// common case: singularity), the entry and a slice for more. view and
// viewWith share it.
type viewBuilder struct {
	c     *Entry
	first Replica
	found int
}

// add records the next replica of the view of id.
func (v *viewBuilder) add(r *registry, id ChildID, rec record, rep Replica) {
	switch v.found {
	case 0:
		v.first = rep
	case 1:
		v.c = r.entry(id, rec)
		v.c.Replicas = append(make([]Replica, 0, 2), v.first, rep)
	default:
		v.c.Replicas = append(v.c.Replicas, rep)
	}
	v.found++
}

// entry returns the view with every replica added.
func (v *viewBuilder) entry(r *registry, id ChildID, rec record) *Entry {
	switch v.found {
	case 0:
		return r.entry(id, rec)
	case 1:
		// One allocation for the entry and its single replica.
		one := new(entryWithReplica)
		r.fill(&one.entry, id, rec)
		one.replica[0] = v.first
		one.entry.Replicas = one.replica[:]
		return &one.entry
	}
	return v.c
}

// entryWithReplica lays an entry and its only replica out together.
type entryWithReplica struct {
	entry   Entry
	replica [1]Replica
}
