package core

// What an owner's start costs per child, kept to what it needs: one
// registry lookup for "already started?" and the epoch to start above,
// the new versions built in place in the op's entries (sized once, not
// grown by doubling with a copy of every entry so far), and the results'
// nodes from one buffer per op instead of an allocation per child
// (TestStartStopAllocationsPerChild counts them).
//
// Map operations of one child's awaited start, 3 nodes, counted as the
// stop's (stopcost.go): 64 in all, 104 before the registry kept entries
// and claims in slots (slots.go) and a batch's claim changes of one node
// were gathered in a run (children.go's claimRun).
//
// Allocations of one child's awaited start, 3 nodes (heap profile of a
// 10,000-child start, TestStartStopAllocationsPerChild): 6.6, of which 5
// were the entries of the registry changes each node hands its driver —
// the owner's one, and at each peer one when the entry arrives and one
// when its claim does. Carved from shared slabs (changes.go's entrySlab)
// they are 1.6 (BenchmarkStartStopCPU/1000's whole process, transport
// and runtime included: 8.4 → 3.6). Its bytes are mostly those entries'
// (4.2 KB per child over the 3 nodes, TestStopBytesPerChild's log).

// epochOf returns the epoch of id's entry (0 if there is none) and
// whether that entry is live: active and get's epoch in one lookup.
func (r *registry) epochOf(id ChildID) (epoch uint64, active bool) {
	rec, ok := r.rec(id)
	if !ok {
		return 0, false
	}
	return rec.epoch, !rec.stopped
}

// appendPlacement returns the nodes that should run e — placement(e),
// copied into buf (capped, so later appends never write into them; nil
// when no node should, as placement returns) — and the extended buf. A
// full buf is replaced by one with room for left more placements, so an
// op of n children allocates about once, not n times.
func (n *Node) appendPlacement(buf []NodeID, e *Entry, left int) (nodes, grown []NodeID) {
	if len(e.Pinned) > 0 {
		return e.Pinned, buf // as placement returns it
	}
	pl := n.placementScratch(e)
	if len(pl) == 0 {
		return nil, buf
	}
	if cap(buf)-len(buf) < len(pl) {
		buf = make([]NodeID, 0, max(left, 1)*len(pl))
	}
	start := len(buf)
	buf = append(buf, pl...)
	return buf[start:len(buf):len(buf)], buf
}

// wroteEvery reports whether entries are exactly the new versions of ids,
// in order (an op that wrote every child it names and read none): then
// addCurrentVersions has nothing to add and needs no set of the ids.
func wroteEvery(entries []Entry, ids []ChildID) bool {
	if len(entries) != len(ids) {
		return false
	}
	for i := range entries {
		if entries[i].Spec.ID != ids[i] {
			return false
		}
	}
	return true
}
