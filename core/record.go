package core

import "fmt"

// record is a registry entry as stored: 16 bytes beside its map key. The
// fields most entries share (kind, restart policy, holder, writer, and a
// tombstone's reason and time: a stop writes a batch of tombstones at one
// instant) live once in an interned shape; the fields most entries lack
// (parameters, metadata, pins) live in registry.rare. Entry values are
// built from records only when read.
type record struct {
	epoch   uint64
	shape   uint32 // index into registry.shapes
	stopped bool
	rare    bool // registry.rare holds this id's rare fields
}

// shape is the part of an entry that many entries share. A tombstone's
// reason and time are part of it: the tombstones of one stop share them
// in a shape, so a stop stores no side record per child.
type shape struct {
	kind      string
	restart   RestartPolicy
	holder    NodeID
	by        NodeID
	reason    string
	stoppedAt Instant
}

// rareFields holds the entry fields that are empty for most children.
type rareFields struct {
	params   map[string]string
	metadata Metadata
	pinned   []NodeID
}

func (f *rareFields) empty() bool {
	return f.params == nil && f.metadata == nil && f.pinned == nil
}

// shapeTable interns shapes with reference counts: a shape no record uses
// any more is forgotten and its slot reused, so the table stays bounded by
// the distinct shapes in the registry.
type shapeTable struct {
	list  []shape
	refs  []int32
	index map[shape]uint32
	free  []uint32
	// last is the shape interned last: a batch's writes (a stop's
	// tombstones, a start's entries) share one, found by comparing it
	// instead of hashing its four strings for the index.
	last uint32
}

func (t *shapeTable) intern(s shape) uint32 {
	if i := t.last; int(i) < len(t.list) && t.refs[i] > 0 && t.list[i] == s {
		t.refs[i]++
		return i
	}
	if i, ok := t.index[s]; ok {
		t.refs[i]++
		t.last = i
		return i
	}
	if t.index == nil {
		t.index = map[shape]uint32{}
	}
	var i uint32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
		t.list[i], t.refs[i] = s, 1
	} else {
		i = uint32(len(t.list))
		t.list = append(t.list, s)
		t.refs = append(t.refs, 1)
	}
	t.index[s] = i
	t.last = i
	return i
}

func (t *shapeTable) release(i uint32) {
	t.refs[i]--
	if t.refs[i] == 0 {
		delete(t.index, t.list[i])
		t.list[i] = shape{}
		t.free = append(t.free, i)
	}
}

// live returns the number of shapes in use.
func (t *shapeTable) live() int { return len(t.index) }

// store turns e into a record (interning its shape, keeping its rare fields
// in r.rare); the caller releases the record it replaces first.
func (r *registry) store(e *Entry) record {
	rec := record{
		epoch:   e.Epoch,
		stopped: e.Stopped,
		shape:   r.shapes.intern(shape{kind: e.Spec.Kind, restart: e.Spec.Restart, holder: e.Holder, by: e.By, reason: e.Reason, stoppedAt: e.StoppedAt}),
	}
	// No delete for an entry without rare fields: the record it replaces
	// released its own (drop), so r.rare holds none for the id — one map
	// operation less per write (a stop writes a tombstone per child).
	if f := (rareFields{params: e.Spec.Params, metadata: e.Metadata, pinned: e.Pinned}); !f.empty() {
		rec.rare = true
		r.rare[e.Spec.ID] = &rareFields{params: f.params, metadata: f.metadata, pinned: f.pinned}
	}
	return rec
}

// drop releases what a stored record holds besides its map slot.
func (r *registry) drop(id ChildID, rec record) {
	r.shapes.release(rec.shape)
	if rec.rare {
		delete(r.rare, id)
	}
}

// entry builds the Entry that rec stores for id (Replicas empty).
func (r *registry) entry(id ChildID, rec record) *Entry {
	e := new(Entry)
	r.fill(e, id, rec)
	return e
}

// fill overwrites *e with the entry rec stores for id (Replicas empty).
func (r *registry) fill(e *Entry, id ChildID, rec record) {
	s := &r.shapes.list[rec.shape]
	*e = Entry{
		Spec:      ChildSpec{ID: id, Kind: s.kind, Restart: s.restart},
		Epoch:     rec.epoch,
		Stopped:   rec.stopped,
		Holder:    s.holder,
		By:        s.by,
		Reason:    s.reason,
		StoppedAt: s.stoppedAt,
	}
	if rec.rare {
		f := r.rare[id]
		e.Spec.Params, e.Metadata, e.Pinned = f.params, f.metadata, f.pinned
	}
}

// appendEntries appends a copy of the entry of every id the registry
// holds (unknown ids are skipped) and returns the extended slice.
func (r *registry) appendEntries(dst []Entry, ids []ChildID) []Entry {
	for _, id := range ids {
		rec, ok := r.rec(id)
		if !ok {
			continue
		}
		dst = append(dst, Entry{})
		r.fill(&dst[len(dst)-1], id, rec)
	}
	return dst
}

// tag returns the metadata "tag" of the entry rec stores for id.
func (r *registry) tag(id ChildID, rec record) string {
	if !rec.rare {
		return ""
	}
	return r.rare[id].metadata["tag"]
}

// tombstone reports whether id's entry is a tombstone, with the reason
// and the instant it was written (zero if unknown).
func (r *registry) tombstone(id ChildID) (reason string, at Instant, ok bool) {
	rec, found := r.rec(id)
	if !found || !rec.stopped {
		return "", 0, false
	}
	s := &r.shapes.list[rec.shape]
	return s.reason, s.stoppedAt, true
}

// recordHash is entryHash of the entry rec stores for id.
func (r *registry) recordHash(id ChildID, rec record) uint64 {
	return versionHash(id, rec.epoch, rec.stopped, r.shapes.list[rec.shape].by)
}

// recordsInvariant checks the side tables against the records: rare
// fields exist exactly for the records that point to them, and every
// shape's reference count equals the records that use it.
func (r *registry) recordsInvariant() error {
	if err := r.slotsInvariant(); err != nil {
		return err
	}
	if err := r.tombstoneQueueInvariant(); err != nil {
		return err
	}
	refs := make([]int32, len(r.shapes.list))
	rare := 0
	var err error
	r.eachEntry(func(id ChildID, rec record) {
		switch {
		case err != nil:
		case int(rec.shape) >= len(refs):
			err = fmt.Errorf("registry entry %q uses shape %d of %d", id, rec.shape, len(refs))
		default:
			refs[rec.shape]++
			if rec.rare {
				if f, ok := r.rare[id]; !ok || f.empty() {
					err = fmt.Errorf("registry entry %q lost its rare fields", id)
				}
				rare++
			}
		}
	})
	if err != nil {
		return err
	}
	if rare != len(r.rare) {
		return fmt.Errorf("registry holds %d rare-field records for %d entries that have them", len(r.rare), rare)
	}
	for i, n := range refs {
		if n != r.shapes.refs[i] {
			return fmt.Errorf("registry shape %d counts %d uses, has %d", i, r.shapes.refs[i], n)
		}
	}
	if len(r.shapes.list)-len(r.shapes.free) != r.shapes.live() {
		return fmt.Errorf("registry shape table holds %d shapes, %d free, %d indexed", len(r.shapes.list), len(r.shapes.free), r.shapes.live())
	}
	return nil
}
