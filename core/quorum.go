package core

// quorumState implements the partition-tolerance strategies. A node that
// loses quorum stops all its children and answers start/stop requests with
// ErrPartitioned; it keeps its membership and registry, and restarts its
// children (by reconciliation) when quorum returns.
type quorumState struct {
	cfg         PartitionConfig
	partitioned bool
	maxSeen     int
	downLog     []downRecord
	leased      bool // Strict: the node holds a majority lease (strict.go)
	// seeds: MajorityQuorum's configured seeds not yet identified, and
	// the membership known besides them, at the last evaluation: they
	// count in the judgement, never in maxSeen (quorum_seeds.go).
	seeds seedCount
	// members: which members MajorityQuorum counts (quorum_members.go).
	members quorumMembers
	// contested: versions taken from peers in place of a rival, in the
	// modes that refuse rival writes (strict_contested.go, quorum_rival.go).
	contested map[ChildID][]versionKey
}

type downRecord struct {
	node NodeID
	at   Instant
}

// maxDownLog bounds the dynamic quorum's down log.
const maxDownLog = 1024

func newQuorumState(cfg PartitionConfig) *quorumState {
	return &quorumState{cfg: cfg, maxSeen: cfg.InitialClusterSize}
}

// update re-evaluates quorum at now for a view of size members after a
// change in direction dir ("up", "down", "left", "reset" or "init") of
// node, and reports whether the node lost or regained quorum. Graceful
// leaves are never counted as failures.
func (q *quorumState) update(size int, now Instant, dir string, node NodeID) (changed bool) {
	return q.updateKnown(size, size, now, dir, node)
}

// updateKnown is update where the membership a majority is measured
// against, known, is not the view's size: MajorityQuorum counts size
// alive established members against known (quorum_members.go); dir may
// also be "established".
func (q *quorumState) updateKnown(size, known int, now Instant, dir string, node NodeID) (changed bool) {
	switch q.cfg.Kind {
	case MajorityQuorum:
		if q.cfg.TrackMaxSize && known > q.maxSeen {
			q.maxSeen = known
		}
		if dir == "left" && q.maxSeen > known {
			// A graceful leave is a planned downsize: unlike ProcessHub,
			// phub lowers max-seen by one instead of requiring a reset.
			q.maxSeen--
		}
	case DynamicQuorum:
		q.pruneDownLog(now, node)
		if dir == "down" && len(q.downLog) < maxDownLog {
			q.downLog = append(q.downLog, downRecord{node: node, at: now})
		}
	}
	was := q.partitioned
	q.partitioned = !q.hasQuorum(size)
	return was != q.partitioned
}

// updateQuorum re-evaluates quorum after a view change (quorumState.update)
// and, when the node lost or regained it, fires the priority hook and
// reconciles every child (stop all, or restart them).
func (n *Node) updateQuorum(dir string, node NodeID) {
	if n.strict != nil {
		n.quorum.leased = n.strictLeased() // the view may have changed
	}
	size, known := len(n.members.view), len(n.members.view)
	if n.majorityCounts() && !n.cfg.Broken.QuorumCountsViews {
		var unmet int
		size, known, unmet = n.quorumCountSplit()
		if n.cfg.Broken.QuorumSeedsOverRestoredView || n.aloneInTable() {
			// At boot, nothing else in the table, no seed can be counted
			// twice: max-seen keeps the count (quorum_seeds.go). Broken:
			// 7b9eeaa's rule, always.
			known, unmet = known+unmet, 0
		}
		n.quorum.seeds = seedCount{unmet: unmet, known: known}
	}
	if !n.quorum.updateKnown(size, known, n.now, dir, node) {
		return
	}
	detail := "quorum_regained"
	if n.quorum.partitioned {
		detail = "partitioned"
	}
	n.hook(HookPriorityStateUpdated, n.cfg.Name, nil, detail)
	n.dirtyAll = true
	n.dirty = true
}

func (q *quorumState) pruneDownLog(now Instant, node NodeID) {
	cut := now.Add(-q.cfg.Window)
	kept := q.downLog[:0]
	for _, r := range q.downLog {
		if r.at > cut && r.node != node {
			kept = append(kept, r)
		}
	}
	q.downLog = kept
}

func (q *quorumState) hasQuorum(size int) bool {
	switch q.cfg.Kind {
	case StaticQuorum:
		return size >= q.cfg.QuorumSize
	case DynamicQuorum:
		down := len(q.downLog)
		if down == 0 {
			return true
		}
		left := 100 - down*100/(size+down)
		return left >= q.cfg.QuorumSize
	case MajorityQuorum:
		return size >= q.majorityOf()/2+1
	case Strict:
		return q.leased
	}
	return true
}

// Partitioned reports whether the node has lost quorum.
func (n *Node) Partitioned() bool { return n.quorum.partitioned }

// ResetClusterSize sets MajorityQuorum's max-seen size for a planned
// downsize (ProcessHub's reset_cluster_size), takes the alive view as the
// established members (the members down no longer count) and re-evaluates
// quorum.
func (n *Node) ResetClusterSize(now Instant, size int) {
	n.advance(now)
	defer n.finish()
	if size < 1 {
		size = 1
	}
	n.quorum.maxSeen = size
	n.resetQuorumMembers() // a planned downsize: the alive are the cluster
	n.updateQuorum("reset", n.cfg.Name)
}
