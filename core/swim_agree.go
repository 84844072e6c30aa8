package core

import (
	"maps"
	"math/bits"
	"time"
)

// Forming a SWIM cluster without N² contacts and full syncs.
//
// A node used to learn a member only on direct contact, and to need a full
// sync from every member it learned before it would act (checkSynced) —
// and every synced node needed one from every member that came up
// (needResync). Booting N nodes together cost N² contact pings and acks
// and N² full syncs: forming 200 nodes cost ×4.3–4.9 the CPU of 100.
//
// With the SWIM detector:
//
//   - Joins spread as news. A seed that welcomes a joiner queues the
//     joiner's record as SWIM news (piggybacked, swim_gossip.go), and a
//     node that learns an unknown member alive — from news, a welcome's
//     member list or an ack's table — takes it up at once (membership.go,
//     merge) and passes the news on. No member is contacted for it: the
//     probes of the protocol period reach it in their turn. A member this
//     node knows keeps the old rule: a down one comes back only on direct
//     contact, with a full sync both ways (onMemberTransition).
//   - Each node states its state in its own member record: the sync stamp
//     (Member.SyncStamp), a hash of its member table's digest (the digest
//     SWIM pings carry) and its registry's digest — no hash once it has
//     claimed a child (sent a claim delta) in its incarnation: its claims,
//     which the registry digest does not cover, are then none — numbered
//     in its top bits (stampNewer orders them,
//     so no older record replaces a newer stamp). It restates it at a
//     protocol period when it changed (for a change of the registry, once
//     the registry held still for a period: a registry that changes all
//     the time is not worth stating). The record travels in every ping
//     and ack the node sends and in every member table; a node waiting
//     for syncs adds to its probe a bitmap of the members it knows
//     stated its stamp, and a peer with the same table answers with its
//     own (swim_vouch.go): what the nodes know of the stamps spreads
//     both ways in O(log N) periods, N bits per message, with no news of
//     its own (N pieces of news sent O(log N) times each would fill
//     every ping).
//   - A node counts a peer as synced (agrees) when the peer's last stamp
//     equals the stamp of its own table and registry and it holds no
//     claim of the peer: that peer's full sync would carry nothing new. A
//     node that boots is synced once every alive peer sent a full sync or
//     agrees (checkSynced); a synced node that meets a member it did not
//     know — by news or by contact — waits for that member's full sync or
//     its agreement (needResync, swimResolveAgreements). Peers that do
//     neither are asked for a full sync, as before, once news had time to
//     spread (syncAskWait).
//     A node that needs full syncs whatever its peers' stamps —
//     recovering from its disk, or a strict node without memory — asks
//     agreeing peers too, after RetryInterval (agreementSuffices).
//
// Why the promise holds — a node "never acts on a registry that misses
// what the other side decided": a stamp made by peer p equal to this
// node's says two things. Its registry part says that this node's
// registry equals p's registry when p made the stamp, so this node holds
// everything p had decided by then. Its table part says that p's table
// held this node alive at this node's current incarnation (this node's
// term is in the digest), so from then on p pushes every claim and entry
// it decides to this node, as it does to every alive peer. That is what a
// full sync gives, and no less: a full sync, too, is p's registry at the
// instant p made it, followed by p's pushes. A stamp held up in gossip is
// older, but not weaker: p made it while it held this node alive. Claims
// are not in the registry digest: a peer that has claimed a child states
// no hash, so a node waits for its full sync (and its claim list); a
// stamp with a hash says p's claims were none from its start, and the
// node that agrees starts p's claim stream there (agreedWith). A node
// waits for full syncs also when its own cordon state changed (syncIsCurrent),
// and a strict node counts only full syncs of voters (strict_ready.go).
// A member that comes back (a healed partition, a restart: it comes up
// only on direct contact) still sends its full sync and is waited for: a
// stamp it made before the partition could match a registry that misses
// what it decided during it.
//
// What it costs: a joiner's news reaches every node in O(log N) periods,
// and so does each node's restated stamp; forming sends O(N) messages per
// protocol period. Each node pulls about one whole table (its welcoming
// seed's, swim_join.go) and N bits per probe while it waits: the bytes of
// forming grow as N² with a small factor, plus N log N bits (they grew as
// N² log N while waiting nodes pulled a whole table per probe). The view
// forms in a period or two after the joins instead of one round trip: no
// node contacts every member it learns.

// A sync stamp is its number (the top stampVerBits bits) and its hash
// (the rest; 0: the member has claimed children, nothing to agree with).
const (
	stampVerBits  = 20
	stampHashBits = 64 - stampVerBits
	stampHashMask = 1<<stampHashBits - 1
	stampVerMask  = 1<<stampVerBits - 1
)

// stampNewer reports whether stamp a was made after stamp b by the same
// member incarnation: its number is ahead in serial-number arithmetic
// (RFC 1982), so numbering goes on past the wrap. A stamp is newer than
// none (0).
func stampNewer(a, b uint64) bool {
	if b == 0 {
		return a != 0
	}
	d := (a>>stampHashBits - b>>stampHashBits) & stampVerMask
	return d != 0 && d < 1<<(stampVerBits-1)
}

// agreeHash is the hash part of the stamp of this node's member table and
// registry (never 0).
func (n *Node) agreeHash() uint64 {
	h := n.members.swimDigest()*0x9e3779b97f4a7c15 ^ n.reg.digest
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
	h = (h ^ (h >> 27)) * 0x94d049bb133111eb
	h = (h ^ (h >> 31)) & stampHashMask
	if h == 0 {
		return 1
	}
	return h
}

// swimAnnounce restates this node's sync stamp, under the next number,
// when its hash changed: at once when the node took up claims or sent a
// claim delta (no hash), else once the registry held still for a period.
func (n *Node) swimAnnounce() {
	s, own := n.swim, n.members.own()
	hash := uint64(0)
	if n.reg.claimCount(n.cfg.Name) == 0 && n.claimDeltas == 0 {
		hash = n.agreeHash()
	}
	still := n.reg.digest == s.lastDigest
	s.lastDigest = n.reg.digest
	if hash == own.SyncStamp&stampHashMask || (hash != 0 && !still) {
		return
	}
	ver := (own.SyncStamp>>stampHashBits + 1) & stampVerMask
	if ver == 0 {
		ver = 1 // 0 and no hash would be no stamp
	}
	own.SyncStamp = ver<<stampHashBits | hash
}

// agrees reports whether peer p's last stamp shows that its full sync
// would bring this node nothing: p stated this node's own stamp (its
// record here says so, or a peer's bitmap vouched for it: swim_vouch.go),
// and this node holds no claim of p and has no cordon change to wait on.
func (n *Node) agrees(p NodeID) bool {
	if n.swim == nil {
		return false
	}
	s, ok := n.members.members[p]
	if !ok || s.Status != StatusAlive || n.members.own().CordonVer != 0 {
		return false
	}
	h := n.agreeHash()
	// The stamp first: while a node waits, most peers have not stated
	// its stamp yet, and that answer costs no lookup.
	return (s.SyncStamp&stampHashMask == h || vouchedAgrees(s, h)) && n.reg.claimCount(p) == 0 // or a bitmap vouched for it (swim_vouch.go)
}

// swimMemberChanged keeps the detector's part of a member's transition:
// a joiner welcomed here spreads as news; a member this node did not know
// (taken up by news, or met first by contact) may be resynced by
// agreement, a member that came back or restarted may not.
func (n *Node) swimMemberChanged(t memberTransition) {
	s := n.swim
	if s == nil {
		return
	}
	if !t.cameUp() {
		if rec := n.members.members[t.name]; rec != nil && t.wentAway() {
			rec.newMet = false // a forgotten member's record is gone with it
		}
		return
	}
	// Unknown before (heard marks a first contact restarted: a higher
	// incarnation than none), or not newly met any more.
	n.members.members[t.name].newMet = t.from == 0
	if t.name == n.welcoming {
		n.swimEnqueue(n.members.members[t.name].Member)
	}
}

// newMet reports whether member name was unknown here when it came up
// and has not gone away or come back since (memberState.newMet).
func (m *membership) newMet(name NodeID) bool {
	s := m.members[name]
	return s != nil && s.newMet
}

// anyNewMet reports whether a member whose full sync this node awaits
// was newly met (a walk of needSync whose answer does not depend on its
// order).
func (n *Node) anyNewMet() bool {
	for p := range n.needSync {
		if n.members.newMet(p) {
			return true
		}
	}
	return false
}

// swimResolveAgreements ends the wait for the full sync of every member
// newly met that now agrees (every tick, while there is one).
func (n *Node) swimResolveAgreements() {
	if len(n.needSync) == 0 || !n.anyNewMet() {
		return
	}
	for _, p := range sortedKeys(n.needSync) {
		if n.members.newMet(p) && n.agrees(p) {
			n.members.members[p].newMet = false
			n.agreedWith(p)
			n.resynced(p)
		}
	}
}

// agreedWith starts peer p's claim stream (syncgap.go) when p's agreement
// stood in for its full sync: a stamp with a hash says p had sent no
// claim delta in its incarnation and held no claim, which is what a full
// list of none at delta 0 says. (A node without the stream asks p for its
// list at p's next claims digest: one ask per pair, claimsdigest.go.)
func (n *Node) agreedWith(p NodeID) {
	if n.claimStreams[p] == nil {
		n.noteClaimCount(p, true, 0)
	}
}

// swimSyncedByAgreement starts the claim stream of every peer whose
// agreement, not its full sync, made this node synced (checkSynced).
func (n *Node) swimSyncedByAgreement(peers []NodeID) {
	if n.swim == nil {
		return
	}
	if len(n.claimStreams) < len(peers) {
		// A stream per peer: one map of that size rather than a rehash
		// per doubling (its order is never read).
		grown := make(map[NodeID]*claimStream, len(peers))
		maps.Copy(grown, n.claimStreams)
		n.claimStreams = grown
	}
	// The streams agreedWith would start, from one slab: a node that
	// forms with N peers starts N of them here at once.
	need := 0
	for _, p := range peers {
		need += btoi(!n.syncedFrom[p] && n.claimStreams[p] == nil)
	}
	slab := make([]claimStream, need)
	for _, p := range peers {
		if !n.syncedFrom[p] && n.claimStreams[p] == nil {
			// What agreedWith's noteClaimCount(p, true, 0) makes of a new
			// stream (a full list of none at delta 0: next delta 1, no
			// hole), without looking the stream up again.
			slab[0].next = 1
			n.claimStreams[p], slab = &slab[0], slab[1:]
		}
	}
}

// agreementSuffices reports whether a node not yet synced needs nothing
// but full syncs or agreement from its peers: not when it recovers from
// its disk (it waits for the full sync of every peer of its persisted
// view: awaitingRecovery) nor when it is a strict node without memory
// (it counts voters' full syncs: strict_ready.go). Then agreeing peers
// are asked for their full syncs too.
func (n *Node) agreementSuffices() bool {
	return len(n.persist.waitFor) == 0 && !n.persist.lost && n.strictSyncsNeeded() == 0
}

// syncAskWait is how long a node waits for a full sync before it asks for
// it (syncask.go): RetryInterval; with SWIM, where agreement may replace
// every sync awaited, also twice the periods a stamp takes to reach every
// node by the bitmaps waiting nodes exchange (⌈log2(N+1)⌉ in expectation), so
// agreement comes first.
func (n *Node) syncAskWait() time.Duration {
	retry := n.cfg.Timing.RetryInterval
	if n.swim == nil || (!n.synced && !n.agreementSuffices()) {
		return retry
	}
	for p := range n.needSync {
		if !n.members.newMet(p) {
			return retry // a member that came back: only its full sync will do
		}
	}
	return retry + time.Duration(2*bits.Len(uint(len(n.members.view))))*n.cfg.Timing.HeartbeatInterval
}
