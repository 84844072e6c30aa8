package core

// Which members a majority quorum counts.
//
// Counting the alive view against the largest view size seen is not
// enough once the membership changes while a cut starts:
//
//   - a member that crashed stays a member (it may come back on either
//     side of a cut), yet a node that joins meanwhile keeps the view's
//     size where it was: max-seen must count the crashed member and the
//     newcomer both;
//
//   - two nodes that join at the instant of a 2/2 cut, one on each side,
//     make each side see three alive of five known: each side would hold
//     a majority of the membership it knows.
//
//   - a node whose established set was founded by itself alone, or taken
//     from the member list of a peer that had just booted too, does not
//     hold every member: a fresh node restarted alone into one side of a
//     cut, or a joiner whose first list came from such a node, measured
//     three alive against the five it had established while seven
//     members existed, and both sides of a 3/4 cut (one member down)
//     served (rapid seed 37678, testdata/quorum_fresh_node_knows_all.txt).
//
// So a MajorityQuorum node counts toward quorum only *established*
// members, and measures them against the largest membership it has known:
// established members, alive or down, the alive view, and every member of
// its table that has not left, down ones included (learned from any
// peer's list, established or not: counting one more member only makes a
// majority harder to reach). A member is
// established once a majority of the members already established here
// have reported it alive in their member lists (every heartbeat carries
// one); this node's own view is its own report. Two sides of a cut cannot
// both gather a majority of the same established set, so a node that joins
// on one side does not count there until the other side is reachable. A
// node that boots without a membership (fresh or restarted in memory)
// takes the established set from the first member list it receives
// (itself left out: it establishes itself like any newcomer) — or founds
// the cluster with itself when it found no peer. Established members are
// forgotten when they leave gracefully or are forgotten by membership
// (ForgetDownAfter); max-seen still never drops on a crash or a forget.
// ResetClusterSize dismisses the members down at the reset: they no longer
// count as known until they come back.
type quorumMembers struct {
	est     map[NodeID]bool
	estInit bool
	// dismissed holds the members down at the last ResetClusterSize; they
	// are not counted as known until they come up again.
	dismissed map[NodeID]bool
	// reports holds, per peer, the members its last member list showed
	// alive.
	reports map[NodeID]map[NodeID]bool
	// seeds: the configured seeds counted as known until identified
	// (quorum_seeds.go).
	seeds seedMembers
}

// majorityCounts reports whether the quorum strategy counts established
// members (MajorityQuorum).
func (n *Node) majorityCounts() bool { return n.quorum.cfg.Kind == MajorityQuorum }

// noteReport records what a message in direct contact shows of its
// sender's member table: the whole list of a welcome or an all-to-all
// heartbeat; with the SWIM detector (swim.go), the whole table an ack
// answers a different digest with, and this node's own table when a ping
// carries the same digest or a direct ack says the digests matched (the
// sender's table is then this node's: same members, incarnations and
// statuses but the down).
func (n *Node) noteReport(m Message) {
	if !n.majorityCounts() {
		return
	}
	switch {
	case m.Kind == MsgHeartbeat || m.Kind == MsgWelcome:
		n.noteMemberReport(m.From, m.Members)
	case m.Kind == MsgPing && m.Digest != 0 && m.Digest == n.members.swimDigest():
		n.noteMemberReport(m.From, n.members.list())
	case m.Kind == MsgPingAck && m.Full && m.Version == 0 && m.Count <= len(m.Members): // not a part of the table (swim_join.go)
		n.noteMemberReport(m.From, m.Members[m.Count:])
	case m.Kind == MsgPingAck && !m.Full && m.Origin == "":
		n.noteMemberReport(m.From, n.members.list())
	}
}

// noteMemberReport records the whole member list a peer sent and
// establishes the members it acknowledges.
func (n *Node) noteMemberReport(from NodeID, list []Member) {
	if !n.majorityCounts() || len(list) == 0 {
		return
	}
	n.noteSeedsIn(from, list)
	qm := &n.quorum.members
	if qm.estInit && qm.est[from] && !qm.lacksAny(list) {
		return // nothing to acknowledge: the steady state costs no allocation
	}
	if qm.reports == nil {
		qm.reports = map[NodeID]map[NodeID]bool{}
	}
	alive := make(map[NodeID]bool, len(list))
	for _, m := range list {
		if m.Status == StatusAlive {
			alive[m.Name] = true
		}
	}
	alive[from] = true
	qm.reports[from] = alive
	if !qm.estInit {
		qm.est = map[NodeID]bool{from: true}
		for _, m := range list {
			if m.Status != StatusLeft && m.Name != n.cfg.Name && m.Name != "" {
				qm.est[m.Name] = true
			}
		}
		qm.estInit = true
	}
	n.establishMembers()
}

// lacksAny reports whether list shows alive a member not established
// here (an acknowledgement this node may need).
func (qm *quorumMembers) lacksAny(list []Member) bool {
	for _, m := range list {
		if m.Status == StatusAlive && !qm.est[m.Name] {
			return true
		}
	}
	return false
}

// establishMembers establishes every alive member a majority of the
// established set reports alive (founding the set with this node alone
// if it synced without any peer) and re-evaluates quorum if the set grew.
func (n *Node) establishMembers() {
	if !n.majorityCounts() {
		return
	}
	qm := &n.quorum.members
	if !qm.estInit {
		if !n.synced || len(n.members.peers()) > 0 {
			return
		}
		qm.est, qm.estInit = map[NodeID]bool{n.cfg.Name: true}, true
	}
	var grown NodeID
	for changed := true; changed; {
		changed = false
		for _, m := range n.members.view {
			if qm.est[m] {
				continue
			}
			if n.acknowledgements(m) >= len(qm.est)/2+1 {
				qm.est[m] = true
				changed, grown = true, m
			}
		}
	}
	if grown != "" {
		n.updateQuorum("established", grown)
	}
}

// acknowledgements counts the established members that report m alive:
// this node (m is in its view) and every established peer whose last
// member list showed m alive — also one that went down since: it knew m,
// so it counts m wherever it comes back.
func (n *Node) acknowledgements(m NodeID) int {
	qm := &n.quorum.members
	acks := 0
	for p := range qm.est {
		switch {
		case p == n.cfg.Name:
			acks++
		case p != m && qm.reports[p][m]:
			acks++
		}
	}
	return acks
}

// quorumMemberChanged keeps the quorum's members in step with a member
// transition: a member that left or was forgotten is dropped from the
// established set, its report and the dismissed; one that comes up is no
// longer dismissed; one discovered (learned from a peer's list, down
// until contacted) is counted as known at once, so a node that learns
// the membership from a heartbeat re-evaluates quorum against it before
// it serves a request.
func (n *Node) quorumMemberChanged(t memberTransition) {
	if !n.majorityCounts() {
		return
	}
	qm := &n.quorum.members
	switch {
	case t.to == StatusLeft || t.forgotten():
		delete(qm.est, t.name)
		delete(qm.reports, t.name)
		delete(qm.dismissed, t.name)
	case t.cameUp():
		delete(qm.dismissed, t.name)
	case t.discovered() && !n.cfg.Broken.QuorumKnowsEstablishedOnly:
		n.updateQuorum("discovered", t.name)
	}
}

// quorumCount returns, for MajorityQuorum, the alive established members
// (self included once established) and the membership known: the alive
// view, established members not alive, and the members of the table
// neither alive nor left (down or discovered) unless dismissed by a reset.
func (n *Node) quorumCount() (alive, known int) {
	alive, known, unmet := n.quorumCountSplit()
	return alive, known + unmet
}

// quorumCountSplit is quorumCount with the configured seeds not yet
// identified apart (unmet, quorum_seeds.go): known counts the members
// only.
func (n *Node) quorumCountSplit() (alive, known, unmet int) {
	qm := &n.quorum.members
	known = len(n.members.view)
	for _, m := range n.members.view {
		if qm.est[m] {
			alive++
		}
	}
	for p := range qm.est {
		if !n.members.alive(p) {
			known++
		}
	}
	if n.cfg.Broken.QuorumKnowsEstablishedOnly {
		return alive, known, 0
	}
	for name, s := range n.members.members {
		if s.Status != StatusAlive && s.Status != StatusLeft && !qm.est[name] && !qm.dismissed[name] {
			known++
		}
	}
	if !n.cfg.Broken.QuorumIgnoresSeeds {
		unmet = n.unmetSeeds() // quorum_seeds.go
	}
	return alive, known, unmet
}

// restoreQuorumMembers takes the established set from a durable node's
// persisted view (itself included: it was a member before its crash), so
// a cluster restarting from disk regains quorum as soon as a majority of
// it is back. The node then knows its cluster: its seeds, counted once
// into max-seen at boot, are not counted again on top of the view
// (quorum_seeds.go).
func (n *Node) restoreQuorumMembers(view []NodeID) {
	if !n.majorityCounts() || len(view) == 0 {
		return
	}
	qm := &n.quorum.members
	qm.est = map[NodeID]bool{n.cfg.Name: true}
	for _, p := range view {
		qm.est[p] = true
	}
	qm.estInit = true
	n.seedsKnownFromDisk() // quorum_seeds.go
	n.updateQuorum("init", n.cfg.Name)
}

// resetQuorumMembers makes the alive view, this node included, the
// established set (ResetClusterSize: the planned downsize says the
// members down are gone and those alive are the cluster), so the down no
// longer count in the membership known and every alive one counts.
func (n *Node) resetQuorumMembers() {
	qm := &n.quorum.members
	qm.est, qm.estInit = map[NodeID]bool{n.cfg.Name: true}, true
	for _, p := range n.members.view {
		qm.est[p] = true
	}
	qm.dismissed = map[NodeID]bool{}
	qm.seeds.done = true // seeds not identified by now are not members (quorum_seeds.go)
	for name, s := range n.members.members {
		if s.Status != StatusAlive && s.Status != StatusLeft {
			qm.dismissed[name] = true
		}
	}
	for p := range qm.reports {
		if !qm.est[p] {
			delete(qm.reports, p)
		}
	}
}
