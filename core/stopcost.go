package core

// What routing and an owner's stop cost per child, kept to what they
// read: a child's guided pins and the result's replica nodes without
// building an entry copy or view, and the tombstone written straight into
// the op's entries instead of a heap copy first
// (TestStartStopAllocationsPerChild counts them).
//
// Map operations of one child's awaited stop, 3 nodes, replication 1,
// the owner also the holder (calls of runtime.mapaccess/assign/delete
// counted by valgrind --tool=callgrind over a 1,000-child stop on
// BenchmarkStopAwait10k's cluster, minus the start alone): 49 in all,
// 82 before the registry kept entries and claims in slots (slots.go).
// The owner 17: its read (stopping) 1, the tombstone's put 1 and the
// changed and dirty sets 2, the table of children in replication 3
// (set, checked, deleted), reconcile 2 (local instance, entry), the
// local stop 3 (local instance read and deleted, awaited-start check),
// its claim dropped 1, the change 1 and its view 1, the claim batch's
// last-per-child set 1, routing 1. Each replica 15: the expired-tombstone
// check 1, put 1, changed and dirty 2, two reconciles 4, two views 2,
// the retraction's claim read and drop 2, its retraction version and
// dirty mark 2 (sync.go), the change 1. The origin 2 (owner of the id,
// the group of its owner). Since the claim retraction rides with the
// tombstone's round (claimround.go) a replica applies both in one input:
// one reconcile and one view per child instead of two, and one registry
// change instead of two (TestStopSendsOneMessagePerPeerAndOwner counts
// the messages); and dropClaim finds a claim once (registry.go). Counted
// the same way but over the stop alone (callgrind --toggle-collect on a
// function that requests the stop and pumps the cluster until quiet,
// GOGC=off, GOMAXPROCS=1; every map call, not only string-keyed ones):
// 91.6 map calls per child at 4357545, 82.6 with both (session 12), and
// 16.5 M instructions → 15.3 M for the 1,000 children.
//
// What a stop allocates drives the collector, whose assists a profile
// charges to whichever append grows: at every node the batch's
// tombstones, remembered retractions, claim retractions and hook id
// lists are sized for the batch (reserveTombstones, retractionsFor,
// expectClaims) instead of grown by doubling, and flushClaims reuses its
// map (claimbatch.go): 1,502 → 1,129 bytes and 0.23 → 0.12 allocations
// per child over the 3 nodes (TestStopBytesPerChild), and
// BenchmarkStopAwait1k's CPU 2.11 → 1.74 ms (medians of 6 alternated
// runs of 200, load 13-15).
//
// Where a stop's CPU goes in the whole process (BenchmarkStartStopCPU's
// 3-node TCP cluster, pprof over 25 stops of 10,000 children, stop
// phases only): core's Step 43% — a peer applying the round's
// tombstones 16% and claim retractions 10%, end-of-input work 12%
// (reconcile 5%, changes and claims flushed 7%), the owner's stop 5%,
// routing the request 3% — the transport's decoding 20% (strings 10%,
// ids found through the index 3%), the hub's draining of Ready 15% (the
// index 5%), encoding 5%, the collector's marking 10%. Core alone
// (BenchmarkStopAwait1k, pprof over 1,500 stops): applying tombstones
// 20%, the owner's stop 18%, applying claims 15%, reconcile 14%, routing
// 12%, flushing changes 9%, and the collector's assists and preemption
// spread over all of them.

// pinnedOf returns the guided pins of id's entry, nil if it has none or
// there is no entry: get(id)'s Pinned without the copy. With no rare
// fields held (recordsInvariant: as many as records marked rare), no entry
// has pins and the index is not read: routing a request of children
// without pins costs no map lookup per child.
func (r *registry) pinnedOf(id ChildID) []NodeID {
	if len(r.rare) == 0 {
		return nil
	}
	rec, ok := r.rec(id)
	if !ok || !rec.rare {
		return nil
	}
	return r.rare[id].pinned
}

// appendReplicaNodes appends the nodes among the alive ones src was
// loaded with (viewsources.go) that claim id (whose slot is sl) to buf,
// in their order, and
// returns them (capped, so later appends never write into them; empty and
// non-nil when none claims it, as view(id, alive, ...).Nodes() returns,
// without the entry) and the extended buf. An owner's stop gives every
// result its nodes from one buffer: one allocation per stop instead of
// one per child; and finds the claims in id's slot, read by the same
// lookup as its entry (slots.go).
func (r *registry) appendReplicaNodes(buf []NodeID, sl *slot, id ChildID, src *viewSources) (nodes, grown []NodeID) {
	start := len(buf)
	r.eachClaimOf(sl, id, src.nodes, func(k int, _ heldClaim) {
		buf = append(buf, src.nodes[k])
	})
	return buf[start:len(buf):len(buf)], buf
}

// stopping is an owner stop's read of a child, with one lookup of id:
// whether it is active (an entry that is not a tombstone), its entry
// filled into *dst and, through appendReplicaNodes, the nodes that run
// it.
func (r *registry) stopping(dst *Entry, buf []NodeID, id ChildID, src *viewSources) (active bool, nodes, grown []NodeID) {
	sl := r.slotOf(id)
	if sl == nil || !sl.entry || sl.rec.stopped {
		return false, nil, buf
	}
	r.fill(dst, id, sl.rec)
	nodes, buf = r.appendReplicaNodes(buf, sl, id, src)
	return true, nodes, buf
}

// writeTombstone fills *t with the stopped version of e (epoch+1, so it
// beats any concurrent takeover of the same generation), stores it and
// stops the local instance: tombstone without the allocation.
func (n *Node) writeTombstone(t, e *Entry, reason string) {
	*t = Entry{Spec: e.Spec, Metadata: e.Metadata, Epoch: e.Epoch + 1, Stopped: true, StoppedAt: n.now, By: n.cfg.Name, Holder: e.Holder, Pinned: e.Pinned, Reason: reason}
	if n.cfg.Broken.ZeroStoppedAt {
		t.StoppedAt = 0
	}
	n.storeEntry(t)
}
