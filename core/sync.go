package core

// Synchronization. Claim changes (which instances a node runs) and
// takeover entry versions are pushed after every input: to every peer with
// PubSub, or along a gossip round (FanOut random peers, forwarded until
// every member has acknowledged) with Gossip. Every Sync.Interval each node
// runs anti-entropy: it sends its registry digest and its claims digest;
// a registry digest mismatch triggers a full exchange of entries, a
// claims digest mismatch an ask for the full claim list (claimsdigest.go).
// Entry versions of acknowledged requests are replicated directly (see
// owner.go) in both modes, because the acknowledgement depends on them.

// syncState gates a node's authority on having the cluster's state. A
// node serves owner-routed requests only once synced: it has received a
// full registry sync from every alive peer (or found no peer within
// DownAfter of booting). A restarted node therefore never answers from an
// empty registry. After that, a member that comes back (a healed
// partition, a restart) must send its full sync before the node acts on
// the registry again (needSync).
type syncState struct {
	synced     bool
	syncedFrom map[NodeID]bool
	bootedAt   Instant
	// remembers: the node booted from persisted state (a durable node
	// with a snapshot), so it still knows what it acknowledged before;
	// a memory-less strict node waits for more syncs (strict_ready.go).
	remembers   bool
	lastSyncAsk Instant
	// syncWaitFrom is when the node was first seen waiting for a full
	// sync (0 when it is ready); asks start a RetryInterval later.
	syncWaitFrom Instant
	needSync     map[NodeID]bool // members that came back, whose full sync we await
	// claimStreams: what arrived of each peer's claim deltas; claimHoles
	// counts the streams with a lost or late delta (syncgap.go).
	claimStreams map[NodeID]*claimStream
	claimHoles   int
	// peerDigests: the registry digest each peer last showed;
	// digestOffers: digest-only syncs waiting for this registry to reach
	// their digest (syncdigest.go).
	peerDigests  map[NodeID]uint64
	digestOffers map[NodeID]digestOffer
	// welcoming: the joiner whose join is being handled; its full sync
	// goes with the welcome (syncwelcome.go).
	welcoming NodeID
	// syncScan: the peer (an index of the peers) checkSynced looks at
	// first, the one that held its last check up.
	syncScan int
}

// outbox holds updates batched during an input and flushed after it
// (or after EndBatch).
type outbox struct {
	pendingClaims  []Claim
	pendingEntries []Entry
	batch          outBatch
	claimsVer      uint64 // version of this node's last claim message
	claimDeltas    int    // claim deltas sent in this incarnation (syncgap.go)
	batching       bool   // inside BeginBatch/EndBatch
	deferredFinish bool   // an input ended inside a batch: finish at EndBatch

	// claimsSent counts the claims of every claim message sent (per
	// receiver), fullClaimLists the full lists among those messages, and
	// claimDigestMismatches the claims digests that differed here
	// (claimsdigest.go; Stats, not tables: they grow).
	claimsSent, fullClaimLists, claimDigestMismatches int
}

type gossipState struct {
	seen     map[reqKey]bool
	seenFIFO []reqKey
}

// maxGossipRefs bounds remembered gossip rounds.
const maxGossipRefs = 8192

func newGossipState() *gossipState { return &gossipState{seen: map[reqKey]bool{}} }

func (g *gossipState) remember(k reqKey) bool {
	if g.seen[k] {
		return false
	}
	g.seen[k] = true
	g.seenFIFO = append(g.seenFIFO, k)
	if len(g.seenFIFO) > maxGossipRefs {
		delete(g.seen, g.seenFIFO[0])
		g.seenFIFO = g.seenFIFO[1:]
	}
	return true
}

// flushClaims sends the claim changes and entry pushes of this input.
func (n *Node) flushClaims() {
	if len(n.pendingClaims) == 0 && len(n.pendingEntries) == 0 {
		return
	}
	claims, entries := lastClaimPerChildWith(n.pendingClaims, &n.batch.lastClaim), n.pendingEntries // claimbatch.go
	n.pendingClaims, n.pendingEntries = nil, nil
	peers := n.members.peers()
	if len(peers) == 0 {
		return
	}
	ver, count := uint64(0), 0
	if len(claims) > 0 {
		n.claimsVer++
		n.claimDeltas++
		ver, count = n.claimsVer, n.claimDeltas
	}
	if n.cfg.Sync.Kind == Gossip {
		m := Message{Kind: MsgGossip, Seq: n.seq(), Origin: n.cfg.Name, OriginInc: n.cfg.Incarnation, Claims: claims, Entries: entries, Version: ver, Count: count}
		n.gossip.remember(reqKey{n.cfg.Name, n.cfg.Incarnation, m.Seq})
		n.forwardGossip(m, []NodeID{n.cfg.Name})
		return
	}
	if n.cfg.Broken.DropPush {
		return
	}
	for _, p := range peers {
		if len(claims) > 0 && !n.attachClaimsToRound(p, claims, ver, count) { // claimround.go
			n.send(p, Message{Kind: MsgClaims, Claims: claims, Version: ver, Count: count})
		}
		if len(entries) > 0 {
			n.send(p, Message{Kind: MsgReplicate, Entries: entries})
		}
	}
}

func (n *Node) forwardGossip(m Message, acks []NodeID) {
	var todo []NodeID
	for _, p := range n.members.peers() {
		if !containsNode(acks, p) {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return
	}
	targets := pickN(&n.rng, todo, n.cfg.Sync.FanOut)
	m.Acks = sortedNodes(append(append([]NodeID(nil), acks...), targets...))
	for _, t := range sortedNodes(targets) {
		n.send(t, m)
	}
}

func (n *Node) onGossip(m Message) {
	if m.Origin == "" || !n.gossip.remember(reqKey{m.Origin, m.OriginInc, m.Seq}) {
		return
	}
	// Claim versions are per incarnation: apply the origin's claims only
	// if we know it at exactly that incarnation.
	if s, ok := n.members.members[m.Origin]; ok && m.Origin != n.cfg.Name && s.Status == StatusAlive && s.Incarnation == m.OriginInc {
		n.applyClaims(m.Origin, m.Claims, false, m.Version)
		n.noteClaimCount(m.Origin, false, m.Count)
	}
	n.applyEntries(m.Origin, m.Entries)
	fwd := m
	fwd.Hops = 0
	n.forwardGossip(fwd, m.Acks)
}

// applyClaims merges a node's claim message of version ver: a full list
// replaces what we knew. Each claim remembers the version that set it and
// each retraction the version that removed it, so a reordered older
// message (delta or full) never undoes a newer one.
func (n *Node) applyClaims(node NodeID, claims []Claim, full bool, ver uint64) {
	removed := n.reg.retractionsFor(node, claims) // claimsapply.go
	n.batch.expectClaims(len(claims))             // changes.go
	drop := func(id ChildID) {
		n.reg.dropClaim(node, id)
		removed[id] = ver
		n.claimChanged(node, id, false)
		n.markDirty(id)
	}
	if full && !n.reg.listCoversClaims(claims, node) { // claimsapply.go
		have := make(map[ChildID]bool, len(claims))
		for _, c := range claims {
			have[c.ID] = true
		}
		for _, id := range n.reg.claimIDs(node) {
			if cur, _ := n.reg.claim(node, id); !have[id] && cur.Ver < ver {
				drop(id)
			}
		}
	}
	for _, c := range claims {
		old, existed := n.reg.claim(node, c.ID)
		if existed && old.Ver >= ver && ver != 0 {
			continue // a newer message already set it
		}
		if c.Removed {
			if existed {
				drop(c.ID)
			} else if removed[c.ID] < ver {
				removed[c.ID] = ver
			}
			continue
		}
		if removed[c.ID] >= ver && ver != 0 {
			continue // retracted by a newer message
		}
		c.Ver = ver
		if existed && old == c {
			continue
		}
		n.reg.setClaim(node, c)
		delete(removed, c.ID)
		if existed && sameButVersion(old, c) {
			continue // a full list repeating it: nothing else changed (claimsapply.go)
		}
		if !existed {
			n.claimChanged(node, c.ID, true)
		} else {
			if old.Instance != c.Instance {
				n.hook(HookChildPidUpdate, node, []ChildID{c.ID}, "")
			}
			n.registryChanged(c.ID)
		}
		n.markDirty(c.ID)
	}
	if full {
		for id, v := range removed {
			if v < ver {
				delete(removed, id) // superseded by this full list
			}
		}
	}
}

// ownClaims lists this node's claims, sorted by id.
func (n *Node) ownClaims() []Claim { return n.reg.claimsOf(n.cfg.Name) }

// sendEntries sends every registry entry to a peer in one logical
// message (sent in parts if it is large, see chunks.go). With claims it
// also carries this node's full claim list (so the receiver never
// reconciles entries without knowing who runs them) and is marked Full (a
// complete sync, see checkSynced); the receiver handles it only once every
// part has arrived.
func (n *Node) sendEntries(to NodeID, withClaims bool) {
	n.send(to, n.fullSyncMsg(to, withClaims, true))
}

// fullSyncMsg builds a full sync for a peer: the registry's digest and,
// with entries, every entry (without: a digest-only sync, syncdigest.go).
func (n *Node) fullSyncMsg(to NodeID, withClaims, entries bool) Message {
	var es []Entry
	if entries {
		ids := n.reg.ids()
		es = n.reg.appendEntries(make([]Entry, 0, len(ids)), ids)
	}
	m := Message{Kind: MsgReplicate, Entries: es, Full: true, Digest: n.reg.digest}
	if s, ok := n.members.members[to]; ok {
		// The receiver's record as this node knows it: an uncordoned
		// receiver waits for a sync made after this node learned it
		// (cordon.go, syncIsCurrent). Then this node's own record: a
		// receiver that just met it (a node back from a crash) learns
		// its cordon now, not at its next heartbeat (Step takes it;
		// TestFullSyncCarriesTheSendersCordon).
		m.Members = []Member{s.Member, n.members.own().Member}
	}
	if withClaims {
		n.claimsVer++
		m.Claims, m.Version, m.Count = n.ownClaims(), n.claimsVer, n.claimDeltas
	}
	return m
}

// sendFullSync sends a new contact everything it needs: entries and
// claims, or only the registry's digest and the claims when the contact
// showed a registry equal to this node's (syncdigest.go).
func (n *Node) sendFullSync(to NodeID) {
	n.send(to, n.fullSyncMsg(to, true, n.syncNeedsEntries(to)))
}

// ready reports whether the node may serve owner requests and take
// children over: it has synced at boot and has received a full sync from
// every member that came back since (a healed partition, a restart), so
// it never acts on a registry that misses what the other side decided
// meanwhile (e.g. a stop, which a takeover could otherwise outrun).
func (s *syncState) ready() bool { return s.synced && len(s.needSync) == 0 }

// needResync records that a member came (back) up after the boot sync.
func (s *syncState) needResync(name NodeID) {
	if s.synced {
		if s.needSync == nil {
			s.needSync = map[NodeID]bool{}
		}
		s.needSync[name] = true
	}
}

// resynced records a full sync from name (or that it went away).
func (n *Node) resynced(name NodeID) {
	if !n.needSync[name] {
		return
	}
	delete(n.needSync, name)
	if len(n.needSync) == 0 {
		n.dirtyAll, n.dirty = true, true
	}
}

// checkSynced marks the node synced once every alive peer sent a full
// sync or, with SWIM, agrees (swim_agree.go), or no peer showed up within
// DownAfter of booting. In strict mode
// a node without memory also needs the full syncs of enough voters to
// meet every write quorum (strict_ready.go), alone or not.
func (n *Node) checkSynced() {
	if n.synced || n.awaitingRecovery() {
		return
	}
	n.endRecoveryCordon() // persist.go
	if !n.strictSyncedVoters() {
		return
	}
	peers := n.members.peers()
	if len(peers) == 0 {
		if len(n.cfg.Seeds) == 0 || n.now.Sub(n.bootedAt) > n.cfg.Timing.DownAfter {
			n.synced = true
			n.dirtyAll, n.dirty = true, true
			n.establishMembers() // founds the quorum's members (quorum_members.go)
		}
		return
	}
	// Every peer in turn, from the one that held the last check up: a
	// node waiting on one peer looks at one peer per tick, not at all.
	for i := range peers {
		k := (n.syncScan + i) % len(peers)
		if p := peers[k]; !n.syncedFrom[p] && !n.agrees(p) { // or its stamp shows it has nothing to add (swim_agree.go)
			n.syncScan = k
			return
		}
	}
	// Seeds, and members learned only through gossip, get DownAfter to
	// show up, so a joining node does not take children over on a
	// partial view (many nodes starting at once: Swarm #136) — unless a
	// failure detector already declared them down (Member.Detected): a
	// node back from a crash does not wait for a peer that crashed
	// before it (TestRejoinDoesNotWaitForADetectedDownSeed).
	if n.now.Sub(n.bootedAt) < n.cfg.Timing.DownAfter {
		for _, s := range n.cfg.Seeds {
			if s != n.cfg.Name && s != NodeID(n.cfg.AdvertiseAddr) && !n.seedConnected(s) && !n.seedDetectedDown(s) {
				return
			}
		}
	}
	for _, name := range n.members.probeTargets() {
		if s := n.members.members[name]; s.lastHeard == 0 && !s.Detected && n.now.Sub(s.since) < n.cfg.Timing.DownAfter {
			return
		}
	}
	n.swimSyncedByAgreement(peers) // their claim streams (swim_agree.go)
	n.synced = true
	n.syncedFrom = nil
	n.dirtyAll, n.dirty = true, true
}

// seedDetectedDown reports whether seed s (a member's name or address)
// names a member a failure detector declared down (Member.Detected).
func (n *Node) seedDetectedDown(s NodeID) bool {
	if st, ok := n.members.members[s]; ok {
		return st.Status == StatusDown && st.Detected
	}
	for _, st := range n.members.table() {
		if NodeID(st.Addr) == s && s != "" && st.Status == StatusDown && st.Detected {
			return true
		}
	}
	return false
}

func (n *Node) antiEntropy() {
	peers := n.members.peers()
	if len(peers) == 0 {
		return
	}
	// Rotate through the peers, a bounded number per round, so every
	// peer gets this node's full state within AntiEntropyRounds rounds
	// (random picks could miss a new member for many rounds):
	// syncfanout.go.
	peers = n.antiEntropyTargets(peers)
	// The claims digest instead of the full claim list: the pending
	// claim changes go first, so it shows this node's claims as of its
	// last delta (claimsdigest.go).
	n.flushClaims()
	n.collectTombstones() // the digest shows the grid cell's tombstones (tombstone_grid.go)
	digest := n.withClaimsDigest(n.digestMsg())
	for _, p := range peers {
		n.send(p, digest) // Busy: a mismatch is answered once quiet (syncquiet.go)
	}
}

// collectGarbage drops expired tombstones and stale claims of unknown
// nodes, keeping metadata bounded under endless churn.
func (n *Node) collectGarbage() {
	n.collectTombstones() // on the grid, in StoppedAt order (tombstone_grid.go)
	n.collectContested()  // quorum_rival.go
	for _, node := range n.reg.claimers() {
		if _, known := n.members.members[node]; !known {
			n.reg.forgetClaimsOf(node)
		}
	}
	for _, node := range sortedKeys(n.claimStreams) {
		if _, known := n.members.members[node]; !known {
			n.forgetClaimStream(node)
		}
	}
}
