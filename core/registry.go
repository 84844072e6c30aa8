package core

import "slices"

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
	// index numbers the slots (slots.go): one per id with an entry or a
	// claim; freeSlots are the numbers of forgotten ids, for reuse.
	index     map[ChildID]uint32
	slots     []slot
	freeSlots []uint32
	count     int // entries, tombstones included
	shapes    shapeTable
	rare      map[ChildID]*rareFields
	// nodes names the claiming nodes; more holds the claims of an id
	// beyond its slot's inline one (slots.go).
	nodes nodeTable
	more  map[ChildID]extraClaims
	sums  claimSums // per node, its claims' count and hash (claimsdigest.go)
	// removed remembers, per node, the claims version at which a claim was
	// retracted, so an older message cannot re-add it; cleared by each
	// full list (which supersedes older retractions) and, for one id, when
	// its entry is removed (a collected tombstone): so it is bounded by the
	// ids the registry holds per node, also where no full list comes
	// (TestRetractionsStayBoundedUnderChurn).
	removed map[NodeID]map[ChildID]uint64
	digest  uint64
	live    int // entries that are not tombstones
	// epochFloor is the highest epoch of a collected tombstone
	// (epochfloor.go).
	epochFloor uint64
	// tombs queues the tombstones by StoppedAt for collection
	// (tombstone_queue.go).
	tombs tombstoneQueue
	// sorted caches the sorted entry ids; nil when the key set changed.
	// sortedSlots holds the slot of each (keyorder.go).
	sorted      []ChildID
	sortedSlots []uint32
	// persistDirty collects the ids of entries written or removed since
	// the last Ready (durable mode only; nil otherwise; persist.go).
	persistDirty map[ChildID]struct{}
}

func newRegistry() *registry {
	return &registry{index: map[ChildID]uint32{}, rare: map[ChildID]*rareFields{}, more: map[ChildID]extraClaims{}, removed: map[NodeID]map[ChildID]uint64{}}
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
	i, known := r.index[id]
	var old record
	ok := known && r.slots[i].entry
	if ok {
		old = r.slots[i].rec
	}
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
		r.count++
		if !known {
			i = r.newSlot(id) // slots.go
		}
	}
	e.Replicas = nil
	rec := r.store(e)
	r.slots[i].rec, r.slots[i].entry = rec, true
	if r.persistDirty != nil {
		r.persistDirty[id] = struct{}{}
	}
	r.digest ^= r.recordHash(id, rec)
	if !rec.stopped {
		r.live++
	} else {
		r.queueTombstone(id, e.StoppedAt) // tombstone_queue.go
	}
	if old.stopped {
		r.trimTombstoneQueue() // a tombstone fewer, or one more stale item
	}
	return true
}

func (r *registry) remove(id ChildID) {
	if i, ok := r.index[id]; ok && r.slots[i].entry {
		old := r.slots[i].rec
		r.noteTouch(id)
		if !r.staleDigest {
			r.digest ^= r.recordHash(id, old)
		}
		if !old.stopped {
			r.live--
		}
		r.drop(id, old)
		for _, m := range r.removed { // order-free: deletes only
			delete(m, id)
		}
		r.slots[i].rec, r.slots[i].entry = record{}, false
		r.count--
		r.freeIfEmpty(id, i)
		r.sorted = nil
		if r.persistDirty != nil {
			r.persistDirty[id] = struct{}{}
		}
		if old.stopped {
			r.trimTombstoneQueue() // tombstone_queue.go
		}
	}
}

// ids returns every entry id (tombstones included) in sorted order. The
// slice is cached until the key set changes; callers must not modify it.
func (r *registry) ids() []ChildID {
	if r.sorted == nil {
		r.sorted = r.entryIDs()
		slices.Sort(r.sorted)
		r.sortedSlots = r.slotsOf(r.sorted) // keyorder.go
	}
	return r.sorted
}

// get returns a copy of id's entry (tombstones included).
func (r *registry) get(id ChildID) (*Entry, bool) {
	rec, ok := r.rec(id)
	if !ok {
		return nil, false
	}
	return r.entry(id, rec), true
}

// has reports whether the registry holds an entry (or tombstone) for id.
func (r *registry) has(id ChildID) bool {
	_, ok := r.rec(id)
	return ok
}

// isActive reports whether id has an entry that is not a tombstone
// (active without the copy).
func (r *registry) isActive(id ChildID) bool {
	rec, ok := r.rec(id)
	return ok && !rec.stopped
}

// len returns the number of entries, tombstones included.
func (r *registry) len() int { return r.count }

// active returns a copy of the entry if it exists and is not a tombstone.
func (r *registry) active(id ChildID) (*Entry, bool) {
	rec, ok := r.rec(id)
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
	s := r.slotOf(id)
	if s == nil {
		return Claim{}, false
	}
	h, ok := r.claimIn(s, id, node)
	if !ok {
		return Claim{}, false
	}
	return h.claim(id), true
}

// claimIn returns node's claim of id, whose slot is s.
func (r *registry) claimIn(s *slot, id ChildID, node NodeID) (heldClaim, bool) {
	if s.holder != 0 && r.nodes.names[s.holder-1] == node {
		return s.inline(), true
	}
	if s.more {
		x := r.more[id]
		if k := x.find(&r.nodes, node); k >= 0 {
			return x.at(k).held, true
		}
	}
	return heldClaim{}, false
}

// setClaim stores c as node's claim of c.ID, replacing node's previous
// one.
func (r *registry) setClaim(node NodeID, c Claim) {
	r.sumSetClaim(node, c) // claimsdigest.go
	h := heldClaim{epoch: c.Epoch, instance: c.Instance, ver: c.Ver, active: c.Active}
	i := r.slotFor(c.ID)
	s := &r.slots[i]
	switch {
	case s.holder == 0:
		s.holder = r.nodes.hold(node) + 1
		s.setInline(h)
		return
	case r.nodes.names[s.holder-1] == node:
		s.setInline(h)
		return
	}
	x, ok := r.more[c.ID]
	k := -1
	if ok {
		k = x.find(&r.nodes, node)
	}
	switch {
	case k >= 0:
		x.at(k).held = h
	case ok:
		x.rest = append(x.rest, nodeClaim{node: r.nodes.hold(node), held: h})
	default:
		x.one = nodeClaim{node: r.nodes.hold(node), held: h}
	}
	r.more[c.ID] = x
	s.more = true
}

// dropClaim removes node's claim of id; it reports whether there was one.
func (r *registry) dropClaim(node NodeID, id ChildID) bool {
	i, ok := r.index[id]
	if !ok {
		return false
	}
	s := &r.slots[i]
	if s.holder != 0 && r.nodes.names[s.holder-1] == node {
		r.sumDropClaim(node, id, s.inline()) // claimsdigest.go
		r.nodes.release(s.holder - 1)
		if s.more { // another node's claim moves inline
			x := r.more[id]
			s.holder = x.one.node + 1
			s.setInline(x.one.held)
			y, left := x.without(0)
			r.setMore(s, id, y, left)
		} else {
			s.holder = 0
			s.setInline(heldClaim{})
			r.freeIfEmpty(id, i)
		}
		return true
	}
	if !s.more {
		return false
	}
	x := r.more[id]
	k := x.find(&r.nodes, node)
	if k < 0 {
		return false
	}
	r.sumDropClaim(node, id, x.at(k).held) // claimsdigest.go
	r.nodes.release(x.at(k).node)
	y, left := x.without(k)
	r.setMore(s, id, y, left)
	return true
}

// setMore stores x as the claims of id beyond its slot s's inline one,
// or none if !left (x.without's results).
func (r *registry) setMore(s *slot, id ChildID, x extraClaims, left bool) {
	if !left {
		delete(r.more, id)
		s.more = false
		return
	}
	r.more[id] = x
}

// claimCount returns the number of claims node holds.
func (r *registry) claimCount(node NodeID) int { return r.nodes.count(node) }

// claimers returns the nodes that hold claims, sorted.
func (r *registry) claimers() []NodeID { return sortedKeys(r.nodes.index) }

// totalClaims returns the number of claims held, all nodes together.
func (r *registry) totalClaims() int {
	total := 0
	for _, k := range r.nodes.claims {
		total += k
	}
	return total
}

// forgetClaimsOf drops every claim of node and returns their ids, sorted.
func (r *registry) forgetClaimsOf(node NodeID) []ChildID {
	ids := r.claimIDs(node)
	for _, id := range ids {
		r.dropClaim(node, id)
	}
	return ids
}

// view returns a copy of the entry with Replicas filled from the claims
// of the given alive nodes (sorted); incarnation names each node's
// current incarnation (the membership's).
func (r *registry) view(id ChildID, alive []NodeID, incarnation func(NodeID) uint64) *Entry {
	s := r.slotOf(id)
	if s == nil || !s.entry {
		return nil
	}
	var v viewBuilder
	r.eachClaimOf(s, id, alive, func(k int, cl heldClaim) {
		v.add(r, id, s.rec, Replica{Node: alive[k], Incarnation: incarnation(alive[k]), Epoch: cl.epoch, Active: cl.active})
	})
	return v.entry(r, id, s.rec)
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
	// slab, when set, gives the entry its memory (a batch's changes,
	// changes.go); nil: an allocation of its own.
	slab *entrySlab
}

// add records the next replica of the view of id.
func (v *viewBuilder) add(r *registry, id ChildID, rec record, rep Replica) {
	switch v.found {
	case 0:
		v.first = rep
	case 1:
		v.c = v.slab.entry()
		r.fill(v.c, id, rec)
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
		e := v.slab.entry()
		r.fill(e, id, rec)
		return e
	case 1:
		// One allocation for the entry and its single replica.
		one := v.slab.next()
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

// reserveTombstones makes room in the tombstone queue
// (tombstone_queue.go) for k more items: a stop of thousands of
// children queues one tombstone per child on every node, and the queue
// grew by doubling through them (a 1,000-child stop's profile on 3
// nodes: 5% of core's CPU, 2.9 of its 15 MB at 10,000 children).
func (r *registry) reserveTombstones(k int) {
	r.tombs.items = slices.Grow(r.tombs.items, k)
}

// reserveTombstonesOf makes room in the tombstone queue for the
// tombstones among es (a peer's replicated stop).
func (r *registry) reserveTombstonesOf(es []Entry) {
	k := 0
	for i := range es {
		if es[i].Stopped {
			k++
		}
	}
	r.reserveTombstones(k)
}
