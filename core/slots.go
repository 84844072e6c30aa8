package core

import (
	"fmt"
	"slices"
)

// The registry's storage: one slot per child id the node knows of — an
// id with an entry (tombstones included), a claim, or both — found
// through one map from id to slot number. A slot holds the entry's
// record and the claim of one node inline (most children run on one
// node: singularity); the claims of further nodes (replication, a
// migration's overlap) live in registry.more. So a stop or start reads
// and writes a child's entry and its holder's claim with one hash of
// the id, where an entry map and a claim map per node hashed it once per
// table; and a replicated entry with its claim costs an index slot (24
// bytes, 25 with its control byte) and a 48-byte slot, where the two
// maps took a 32-byte and a 48-byte map slot. Go's map tables run at a
// load between 7/16 and 7/8 (they split when full), the slots' slice
// has up to a quarter spare (append's growth), and the id's bytes take
// 16: per entry and node (registryBytesPerEntry) 98.7 B at 100,000 ids
// (index load about 3/4: 33 + 48 + 16 and change), 119.8 B at 250,000
// and 129.3 B at a million (index load just under 1/2: 52 + 48..60 + 16),
// at most 57 + 60 + 16 = 133 B at the lowest load; 141.7, 217.2 and
// 216.9 B before (TestRegistryMemoryAboveOneMessage).

// slot is one child id's entry and inline claim: 48 bytes.
type slot struct {
	rec record // the entry; meaningful only if entry
	// The inline claim: of node holder-1 in the node table, none if
	// holder is 0.
	cEpoch, cInstance, cVer uint64
	holder                  uint32
	cActive                 bool
	entry                   bool // the id has an entry (rec)
	more                    bool // registry.more holds claims of other nodes
}

// inline returns the slot's inline claim.
func (s *slot) inline() heldClaim {
	return heldClaim{epoch: s.cEpoch, instance: s.cInstance, ver: s.cVer, active: s.cActive}
}

// setInline stores h as the slot's inline claim (the holder is set by
// the caller).
func (s *slot) setInline(h heldClaim) {
	s.cEpoch, s.cInstance, s.cVer, s.cActive = h.epoch, h.instance, h.ver, h.active
}

// nodeClaim is a claim beyond a slot's inline one: the node's index in
// the node table and the claim.
type nodeClaim struct {
	node uint32
	held heldClaim
}

// extraClaims are an id's claims beyond its slot's inline one, stored in
// registry.more only while there is one at least: the first in the value
// itself (a second holder, replication's common case, costs no
// allocation), any further ones in rest.
type extraClaims struct {
	one  nodeClaim
	rest []nodeClaim
}

// n returns the number of claims x, a value stored in registry.more,
// holds.
func (x *extraClaims) n() int { return 1 + len(x.rest) }

// at returns the k-th claim of x (0: one).
func (x *extraClaims) at(k int) *nodeClaim {
	if k == 0 {
		return &x.one
	}
	return &x.rest[k-1]
}

// find returns the position of node's claim in x, -1 if none.
func (x *extraClaims) find(t *nodeTable, node NodeID) int {
	for k := range x.n() {
		if t.names[x.at(k).node] == node {
			return k
		}
	}
	return -1
}

// without returns x less its k-th claim and whether any claim is left;
// x's rest is not written.
func (x *extraClaims) without(k int) (extraClaims, bool) {
	if len(x.rest) == 0 {
		return extraClaims{}, false
	}
	y := extraClaims{one: x.one}
	if k == 0 {
		y.one = x.rest[0]
		k = 1
	}
	y.rest = append(x.rest[:k-1:k-1], x.rest[k:]...)
	if len(y.rest) == 0 {
		y.rest = nil
	}
	return y, true
}

// nodeTable interns the names of the nodes that hold claims, with the
// number of claims each holds; a node that holds none any more is
// forgotten and its index reused, so the table stays bounded by the
// nodes with claims.
type nodeTable struct {
	index  map[NodeID]uint32
	names  []NodeID
	claims []int
	free   []uint32
	last   uint32 // the node that took a claim last: most claims come in runs of one node's
}

// hold counts one more claim of node and returns its index.
func (t *nodeTable) hold(node NodeID) uint32 {
	if i := t.last; int(i) < len(t.names) && t.claims[i] > 0 && t.names[i] == node {
		t.claims[i]++
		return i
	}
	i, ok := t.index[node]
	if !ok {
		if t.index == nil {
			t.index = map[NodeID]uint32{}
		}
		if k := len(t.free); k > 0 {
			i = t.free[k-1]
			t.free = t.free[:k-1]
			t.names[i] = node
		} else {
			i = uint32(len(t.names))
			t.names = append(t.names, node)
			t.claims = append(t.claims, 0)
		}
		t.index[node] = i
	}
	t.claims[i]++
	t.last = i
	return i
}

// release counts one claim of node i less.
func (t *nodeTable) release(i uint32) {
	t.claims[i]--
	if t.claims[i] == 0 {
		delete(t.index, t.names[i])
		t.names[i] = ""
		t.free = append(t.free, i)
	}
}

// count returns the number of claims node holds.
func (t *nodeTable) count(node NodeID) int {
	i, ok := t.index[node]
	if !ok {
		return 0
	}
	return t.claims[i]
}

// slotOf returns id's slot, nil if the registry knows nothing of id. The
// pointer is valid until the next slot is added.
func (r *registry) slotOf(id ChildID) *slot {
	i, ok := r.index[id]
	if !ok {
		return nil
	}
	return &r.slots[i]
}

// rec returns id's entry record: the lookup the entry map's r.entries[id]
// was.
func (r *registry) rec(id ChildID) (record, bool) {
	i, ok := r.index[id]
	if !ok || !r.slots[i].entry {
		return record{}, false
	}
	return r.slots[i].rec, true
}

// slotFor returns the number of id's slot, adding an empty one if the
// registry knows nothing of id.
func (r *registry) slotFor(id ChildID) uint32 {
	if i, ok := r.index[id]; ok {
		return i
	}
	return r.newSlot(id)
}

// newSlot adds an empty slot for id, which has none, and returns its
// number.
func (r *registry) newSlot(id ChildID) uint32 {
	var i uint32
	if k := len(r.freeSlots); k > 0 {
		i = r.freeSlots[k-1]
		r.freeSlots = r.freeSlots[:k-1]
	} else {
		i = uint32(len(r.slots))
		r.slots = append(r.slots, slot{})
	}
	r.index[id] = i
	return i
}

// freeIfEmpty forgets slot i of id if it holds neither an entry nor a
// claim.
func (r *registry) freeIfEmpty(id ChildID, i uint32) {
	if s := &r.slots[i]; s.entry || s.holder != 0 {
		return
	}
	delete(r.index, id)
	r.slots[i] = slot{}
	r.freeSlots = append(r.freeSlots, i)
}

// reserveSlots makes room for n more ids: in the index (reserve.go) and
// in the slots beyond the free ones; as reserve, only if they would more
// than double the ids known (a batch of tombstones for entries held
// reserves nothing).
func (r *registry) reserveSlots(n int) {
	if n <= len(r.index) {
		return
	}
	r.index = reserve(r.index, n)
	if more := n - len(r.freeSlots); more > 0 {
		r.slots = slices.Grow(r.slots, more)
	}
}

// entryIDs returns the ids that have an entry, unsorted.
func (r *registry) entryIDs() []ChildID {
	out := make([]ChildID, 0, r.count)
	for id, i := range r.index {
		if r.slots[i].entry {
			out = append(out, id)
		}
	}
	return out
}

// eachEntry calls f for every entry, in no particular order (callers
// make the result order-independent).
func (r *registry) eachEntry(f func(id ChildID, rec record)) {
	for id, i := range r.index {
		if s := &r.slots[i]; s.entry {
			f(id, s.rec)
		}
	}
}

// isSortedEntryList reports whether ids are exactly the ids with an
// entry, in increasing order.
func (r *registry) isSortedEntryList(ids []ChildID) bool {
	if len(ids) != r.count || !slices.IsSorted(ids) {
		return false
	}
	for i, id := range ids {
		if _, ok := r.rec(id); !ok || (i > 0 && ids[i-1] == id) {
			return false
		}
	}
	return true
}

// slotsInvariant checks the slots against the index and the node table:
// every indexed slot holds an entry or a claim, no two ids share one, the
// entry count and every node's claim count are what the slots hold, and
// registry.more holds a non-empty list exactly for the slots marked so,
// naming no node twice.
func (r *registry) slotsInvariant() error {
	if len(r.index)+len(r.freeSlots) != len(r.slots) {
		return fmt.Errorf("registry indexes %d slots, %d free, of %d", len(r.index), len(r.freeSlots), len(r.slots))
	}
	claims := make([]int, len(r.nodes.names))
	entries, more := 0, 0
	var err error
	hold := func(id ChildID, node uint32) {
		if int(node) >= len(claims) || r.nodes.names[node] == "" {
			err = fmt.Errorf("claim of %q names node %d, not in the node table", id, node)
			return
		}
		claims[node]++
	}
	for id, i := range r.index {
		s := &r.slots[i]
		if !s.entry && s.holder == 0 {
			return fmt.Errorf("registry slot of %q holds nothing", id)
		}
		if s.entry {
			entries++
		}
		if s.holder != 0 {
			hold(id, s.holder-1)
		}
		x, ok := r.more[id]
		if ok != s.more || (ok && s.holder == 0) {
			return fmt.Errorf("registry slot of %q marks more claims %v, holds them %v (inline holder %d)", id, s.more, ok, s.holder)
		}
		if ok {
			more++
			list := append([]nodeClaim{x.one}, x.rest...)
			for k, c := range list {
				hold(id, c.node)
				if c.node+1 == s.holder || slices.ContainsFunc(list[:k], func(d nodeClaim) bool { return d.node == c.node }) {
					return fmt.Errorf("registry holds two claims of node %d on %q", c.node, id)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if entries != r.count || more != len(r.more) {
		return fmt.Errorf("registry counts %d entries, slots hold %d; %d lists of more claims, %d slots use them", r.count, entries, len(r.more), more)
	}
	for i, k := range claims {
		if k != r.nodes.claims[i] {
			return fmt.Errorf("node %q counts %d claims, holds %d", r.nodes.names[i], r.nodes.claims[i], k)
		}
	}
	if len(r.nodes.index)+len(r.nodes.free) != len(r.nodes.names) {
		return fmt.Errorf("node table indexes %d names, %d free, of %d", len(r.nodes.index), len(r.nodes.free), len(r.nodes.names))
	}
	return nil
}
