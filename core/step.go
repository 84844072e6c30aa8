package core

// rounds is when the node last ran its periodic rounds.
type rounds struct {
	lastHeartbeat Instant
	heartbeats    uint64  // heartbeat rounds so far (every 25th also re-joins seeds)
	lastSync      Instant // last anti-entropy and garbage-collection round
	gossipCursor  int     // next peer of the anti-entropy rotation
	// quiet: when the registry last changed; a large one answers a
	// mismatching digest once it rests (syncquiet.go).
	quiet syncQuiet
}

// maxHops bounds how often a routed request is forwarded between nodes that
// disagree about ownership.
const maxHops = 3

// Step handles a message from a peer at time now. Invalid messages, messages
// for another hub and messages from older incarnations are dropped.
func (n *Node) Step(now Instant, m Message) {
	n.advance(now)
	defer n.finish()
	if n.left || m.Hub != n.cfg.HubID || m.From == n.cfg.Name {
		return
	}
	if err := m.Validate(n.cfg.Limits.MaxBatch); err != nil {
		return
	}
	if m.Parts > 0 {
		whole, ok := n.parts.add(m)
		if !ok {
			return // more parts to come
		}
		m = whole
	}
	if m.Kind == MsgLease || m.Kind == MsgLeaseGrant {
		n.onLeaseMsg(m)
		return
	}
	if m.Kind == MsgHandover {
		// State handed over by a leaving node may arrive after its
		// MsgLeave (reordering): it is data, not a sign of life, so it is
		// accepted from a member that has left.
		if s, ok := n.members.members[m.From]; ok && s.Status == StatusLeft && s.Incarnation == m.Inc {
			n.onHandoverMsg(m) // handoverbatch.go
			return
		}
	}
	if m.Kind == MsgLeave {
		if t, ok := n.members.left(m.From, m.Inc, n.now); ok {
			n.onMemberTransition(t)
			n.forgetClaims(m.From, false)
		}
		return
	}
	// Any other message is direct contact.
	var self *Member // the sender's own record: its address and cordon
	if m.Kind == MsgJoin || m.Kind == MsgHeartbeat || m.Kind == MsgWelcome || m.Kind == MsgSyncRequest || m.Kind.isSwim() || (m.Kind == MsgReplicate && m.Full) {
		for i := range m.Members {
			if m.Members[i].Name == m.From && m.Members[i].Incarnation == m.Inc {
				self = &m.Members[i]
			}
		}
	}
	t, ok := n.members.heard(m.From, m.Inc, self, n.now)
	if !ok {
		return
	}
	n.notePeerDigest(m) // before a sync to a member that came up (syncdigest.go)
	if m.Kind == MsgJoin {
		n.welcoming = m.From // its sync goes with the welcome (syncwelcome.go)
	}
	n.onMemberTransition(t)
	n.welcoming = ""
	if n.swim != nil {
		n.swimHeard(m.From, self)
	}
	if self != nil {
		n.noteReport(m) // the sender's member table, if m shows it: quorum_members.go
	}
	switch m.Kind {
	case MsgPing, MsgPingReq, MsgPingAck:
		n.onSwim(m)
	case MsgJoin:
		n.mergeMembers(m.Members)
		n.sendWelcome(m.From) // the member list and the full sync in one message
	case MsgWelcome:
		n.swimWelcomed(m) // its next probe pulls what the seed learned since (swim_join.go)
		n.raiseEpochFloor(m.Epoch)
		n.onWelcome(m) // the sync it carries, then its members (syncwelcome.go)
	case MsgHeartbeat:
		n.mergeMembers(m.Members)
		n.noteDeltasShown(m.From, m.Count) // a lost last delta (syncgap.go)
	case MsgRequest:
		n.onRoutedRequest(m)
	case MsgResult:
		if m.ToInc != 0 && m.ToInc != n.cfg.Incarnation {
			break // the answer to a request of this node's previous life: its sequence numbers started again
		}
		n.onResult(m.Seq, m.From, m.Results, m.Err)
	case MsgReplicate:
		n.onReplicate(m)
	case MsgReplicateAck:
		if m.Err == errGuidedConflict {
			n.onGuidedConflictAck(m)
			break
		}
		n.onReplicateAck(m.From, m.Seq, m.Err, m.IDs)
	case MsgClaims:
		if carriesRound(&m) { // a round with the claim delta (claimround.go): the round first
			n.onReplicate(m)
		}
		n.applyClaims(m.From, m.Claims, m.Full, m.Version)
		n.noteClaimCount(m.From, m.Full, m.Count)
	case MsgDigest:
		n.onClaimsDigest(m)   // claimsdigest.go
		n.collectTombstones() // compare in the same grid cell as the sender (tombstone_grid.go)
		n.onDigest(m)         // at once, or once quiet (syncquiet.go)
	case MsgSyncRequest:
		if m.Count != 0 {
			n.sendClaimList(m.From) // the asker lost claim deltas only (syncgap.go)
			break
		}
		n.sendEntries(m.From, true) // an asked sync always carries the entries
	case MsgWhich:
		n.send(m.From, Message{Kind: MsgWhichReply, Seq: m.Seq, Children: n.WhichChildrenLocal().Children})
	case MsgWhichReply:
		n.onWhichReply(m.Seq, m.From, m.Children)
	case MsgHandover:
		n.onHandoverMsg(m) // one child, or a batch (handoverbatch.go)
	case MsgHandoverAck:
		n.onHandoverAckMsg(m)
	case MsgGossip:
		n.onGossip(m)
	}
}

// Tick advances time: heartbeats, failure detection, retries, timeouts,
// anti-entropy, migrations and garbage collection.
func (n *Node) Tick(now Instant) {
	n.advance(now)
	defer n.finish()
	if n.left {
		return
	}
	t := n.cfg.Timing
	if n.strict != nil {
		n.strictTick()
	}
	if n.swim != nil {
		n.swimTick()
	}
	n.expireMembers()
	n.checkSynced()
	n.askForMissingSyncs(now) // full syncs can be lost (syncask.go)
	n.askForLostClaims(now)   // and claim deltas (syncgap.go)
	n.checkDigestOffers()     // digest-only syncs this registry now matches (syncdigest.go)
	if now.Sub(n.lastHeartbeat) >= t.HeartbeatInterval || n.lastHeartbeat == 0 {
		n.lastHeartbeat = now
		n.heartbeat()
	}
	n.noteRegistryChange(now)
	n.collectTombstones() // at the grid line, as every node (tombstone_grid.go)
	if now.Sub(n.lastSync) >= n.cfg.Sync.Interval {
		n.lastSync = now
		n.antiEntropy()
		n.collectGarbage()
		n.sweepPlacement() // a slice of the children per round, not all (syncround.go)
	}
	n.answerWaitingDigests(now) // syncquiet.go
	n.retryRequests()
	n.retryReplication()
	n.expireRequests()
	n.tickMigrations()
	n.tickBackoffs()
	n.tickExiting() // exiting.go
	n.tickLeave()
	if n.dirty {
		n.reconcile()
	}
}

func (n *Node) heartbeat() {
	var hb Message
	if n.swim != nil {
		n.swimRound() // one probe instead of a heartbeat to every peer
		hb = n.swimPing(0, false)
	} else {
		hb = Message{Kind: MsgHeartbeat, Members: n.members.list(), Digest: n.reg.digest, Count: n.claimDeltas}
		for _, p := range n.members.peers() {
			n.send(p, hb)
		}
	}
	// Probe down members so a healed partition is noticed.
	for _, p := range n.members.probeTargets() {
		n.send(p, hb)
	}
	// Join through seeds we are not connected to (by name or address):
	// every heartbeat while alone or not yet synced, then every 25th
	// (so two clusters started apart still merge, without a join and a
	// full sync every heartbeat to a seed named differently than its
	// advertised address).
	n.heartbeats++
	if len(n.members.peers()) > 0 && n.synced && n.heartbeats%25 != 0 {
		return
	}
	for _, s := range n.seedsToJoin() { // swim_join.go
		n.send(s, Message{Kind: MsgJoin, Members: []Member{n.members.members[n.cfg.Name].Member}, Digest: n.reg.digest})
	}
}

func (n *Node) seedConnected(s NodeID) bool {
	if n.members.alive(s) {
		return true
	}
	for _, name := range n.members.view {
		if NodeID(n.members.members[name].Addr) == s && s != "" {
			return true
		}
	}
	return false
}

// onReplicate applies a replication message's entries (and a full
// sync's claims) and acknowledges a round (Seq): a MsgReplicate, or the
// round a MsgClaims carries (claimround.go).
func (n *Node) onReplicate(m Message) {
	conflicts := n.writeConflicts(m)                   // before the merge hides them
	conflicts = n.strictGrantedElsewhere(m, conflicts) // strict_grant_stop.go
	rivals := n.guidedRivals(m)                        // guided_conflict.go decides those
	n.applyEntries(m.From, m.Entries)
	if m.Version != 0 && m.Kind == MsgReplicate { // a full sync's claim list; a MsgClaims applies its own
		n.applyClaims(m.From, m.Claims, true, m.Version)
		n.noteClaimCount(m.From, true, m.Count)
	}
	if n.fullSyncComplete(m) { // a digest-only sync may wait (syncdigest.go)
		n.syncedBy(m.From, m.Members)
	}
	n.checkDigestOffers()
	if m.Seq != 0 {
		conflicts = dropIDs(conflicts, rivals)
		if lost := n.guidedStartsLost(m); len(lost) > 0 {
			n.refuseGuidedStarts(m, lost, dropIDs(conflicts, lost), n.confirmAgainst(m))
			return
		}
		if newerHere := n.confirmAgainst(m); len(newerHere) > 0 || len(conflicts) > 0 {
			n.sendEntryBatches(m.From, append(newerHere, n.currentVersions(conflicts)...))
			n.send(m.From, Message{Kind: MsgReplicateAck, Seq: m.Seq, Err: errStaleVersion, IDs: conflicts})
			return
		}
		n.send(m.From, Message{Kind: MsgReplicateAck, Seq: m.Seq})
	}
}

// BeginBatch defers the end-of-input work (reconciliation, claim pushes,
// coalesced registry changes and hooks) until EndBatch, so a driver that
// feeds many inputs at once pays for it once. Outputs are the same as
// feeding the inputs one by one, only coalesced.
func (n *Node) BeginBatch() { n.batching = true }

// EndBatch runs the deferred end-of-input work of a batch.
func (n *Node) EndBatch() {
	n.batching = false
	if n.deferredFinish {
		n.deferredFinish = false
		n.finish()
	}
}

// finish runs after every input: flush batched claim updates and
// reconcile placement if the view or registry changed.
func (n *Node) finish() {
	if n.batching {
		n.deferredFinish = true
		return
	}
	n.pumpParts() // subparts.go: parts of large requests whose owner has room
	if n.dirty && !n.left {
		n.reconcile()
	}
	n.notePersistLocal()
	n.flushClaims()
	n.flushBatch()
	if n.strict != nil {
		n.strictFlush()
	}
	if n.cfg.CheckInvariants {
		n.checkInvariantsPaced()
	}
}
