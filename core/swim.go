package core

import "slices"

// SWIM-style failure detection (Config.Membership.Detector = Swim), after
// Das, Gupta and Motivala's SWIM and hashicorp/memberlist. It replaces
// the all-to-all heartbeats; everything else in membership.go stands.
//
//   - Each HeartbeatInterval (a protocol period) the node pings one alive
//     member, round-robin over a shuffled list of its peers (a new
//     shuffle per round, so every member is probed once per round).
//   - No ack within half the period: it asks IndirectProbes other members
//     (MsgPingReq) to ping the member and relay the ack.
//   - No ack, direct or relayed, by the end of the period: the member is
//     suspect. Suspicion is local state plus news (StatusSuspect); the
//     member stays in the view. A suspect not refuted within DownAfter is
//     declared down, and the down is news too.
//   - News rides piggybacked on pings and acks (swimPiggybackMax per
//     message, each retransmitted swimRetransmitMult·⌈log2(N+1)⌉ times):
//     suspicions, downs, refutations, leaves. A ping carries a digest of
//     the member table (swim_gossip.go); the ack to a probe answers a
//     different digest with the whole table, which is merged as gossip
//     (membership.merge), so the tables converge even when news was lost
//     (the ack to a contact ping carries none: swim_join.go).
//   - A member refutes news that it is suspect or down by raising its
//     Beat (Member.Beat, ordered within an incarnation; a restart's new
//     incarnation is not a refutation: it means the old instances died).
//
// What stays as membership.go states it: a down member comes back only
// on direct contact, never on news — a down member keeps being probed
// every period, so a refuted false down heals in a period or two. (A
// member this node never knew comes up on news: swim_agree.go.) What changes: news marks a member down (a member
// declared down by one node is down for every node that hears it at the
// same or a higher Beat), and silence alone never does.
//
// Quorum, readiness and strict leases keep their guarantees because they
// ride on the same inputs as before: quorum is computed from the view
// (whose downs now come from suspicion timeouts and news instead of
// silence — a minority node's view shrinks after at most a round of
// probes plus DownAfter, the bound the simulator checks with this
// detector); readiness waits for a full sync from every member that
// comes up, or for its sync stamp to show it has nothing to add
// (swim_agree.go); strict lease rounds are per voter and do not depend
// on the detector.
type swimState struct {
	k     int      // indirect probes per missed ping
	order []NodeID // this round's shuffled probe order
	next  int      // index of the next member of order to probe
	probe swimProbe
	// lastSeq numbers this node's pings (its own probes and relays).
	lastSeq uint64
	// suspects are alive members under suspicion, with when it began.
	suspects map[NodeID]Instant
	relays   []swimRelay  // indirect probes run for others
	queue    []swimUpdate // news waiting to be piggybacked
	// joinCursor is where the next heartbeat's joins start in the seed
	// list (swim_join.go).
	joinCursor int
	// pull: the seed whose welcome listed the most members, which the
	// next period's probe goes to (swim_join.go).
	pull swimPull
	// welcomed: a seed welcomed this node in its incarnation; until
	// then (and until synced) it joins through its seeds each period,
	// even when others joined it first (swim_join.go).
	welcomed bool
	// joinedOnce: this node sent a join in its incarnation.
	joinedOnce bool
	// lastDigest: the registry's digest at the last protocol period
	// (swim_agree.go). Members newly met are marked in their records
	// (memberState.newMet).
	lastDigest uint64
}

// swimProbe is the probe of the current period.
type swimProbe struct {
	target   NodeID
	seq      uint64
	sentAt   Instant
	active   bool // a probe was sent this period
	indirect bool // ping-reqs went out
	acked    bool // an ack came, directly or relayed
	// stampHash and digest: the stamp and table digest the probe stated
	// when it asked for agreement bits (swim_vouch.go); 0 if it did not.
	stampHash, digest uint64
}

// swimRelay is an indirect probe this node runs for origin.
type swimRelay struct {
	seq       uint64 // this node's ping to target
	origin    NodeID
	originSeq uint64
	target    NodeID
	until     Instant
}

const (
	// maxIndirectProbes bounds Membership.IndirectProbes.
	maxIndirectProbes = 16
	// defaultIndirectProbes is memberlist's IndirectChecks.
	defaultIndirectProbes = 3
	// swimRelayMax bounds the indirect probes a node runs for others at
	// once; more ping-reqs are ignored (the asker has other helpers).
	swimRelayMax = 64
)

// newSwimState returns the detector's state, or nil unless cfg selects
// Swim.
func newSwimState(cfg Config) *swimState {
	if cfg.Membership.Detector != Swim {
		return nil
	}
	k := cfg.Membership.IndirectProbes
	if k == 0 {
		k = defaultIndirectProbes
	}
	return &swimState{k: k, suspects: map[NodeID]Instant{}}
}

// Suspects returns the members this node suspects, sorted (nil with the
// all-to-all detector). A read, for tests and the admin API.
func (n *Node) Suspects() []NodeID {
	if n.swim == nil || len(n.swim.suspects) == 0 {
		return nil
	}
	return sortedKeys(n.swim.suspects)
}

// swimRound runs at each protocol period: the probe of the period that
// ended makes its member suspect unless an ack came, and the next member
// is pinged.
func (n *Node) swimRound() {
	s := n.swim
	n.swimAnnounce() // swim_agree.go
	if s.probe.active && !s.probe.acked {
		n.swimSuspect(s.probe.target)
	}
	s.probe = swimProbe{}
	pull, pulling := n.swimTakePull() // swim_join.go
	target, ok := pull.from, pulling
	if !pulling {
		target, ok = n.swimNextTarget()
	}
	if !ok {
		return
	}
	s.lastSeq++
	s.probe = swimProbe{target: target, seq: s.lastSeq, sentAt: n.now, active: true}
	ping := n.swimPing(s.lastSeq, true)
	if pulling {
		ping.Version, ping.ToInc = pull.since, pull.inc // what changed since its welcome (swim_join.go)
	}
	n.swimAskStamps(&ping) // waiting for syncs: the ack brings its stamps in bits (swim_vouch.go)
	n.send(target, ping)
}

// swimNextTarget returns the next alive peer of the round, starting a new
// shuffled round when this one is used up.
func (n *Node) swimNextTarget() (NodeID, bool) {
	s := n.swim
	for round := 0; round < 2; round++ {
		for s.next < len(s.order) {
			t := s.order[s.next]
			s.next++
			if n.members.alive(t) && t != n.cfg.Name {
				return t, true
			}
		}
		peers := n.members.peers()
		if len(peers) == 0 {
			return "", false
		}
		s.order, s.next = pickN(&n.rng, peers, len(peers)), 0
	}
	return "", false
}

// swimTick runs at every tick: ping-reqs for a ping unanswered after half
// a period, downs for suspicions older than DownAfter, expiry of relays.
func (n *Node) swimTick() {
	s := n.swim
	p := &s.probe
	if p.active && !p.acked && !p.indirect && n.now.Sub(p.sentAt) >= n.cfg.Timing.HeartbeatInterval/2 {
		p.indirect = true
		helpers := make([]NodeID, 0, len(n.members.peers()))
		for _, h := range n.members.peers() {
			if h != p.target {
				helpers = append(helpers, h)
			}
		}
		for _, h := range pickN(&n.rng, helpers, s.k) {
			req := n.swimPing(p.seq, true)
			req.Kind, req.Origin, req.Digest = MsgPingReq, p.target, 0
			n.send(h, req)
		}
	}
	if len(s.suspects) > 0 {
		for _, name := range sortedKeys(s.suspects) {
			if n.now.Sub(s.suspects[name]) <= n.cfg.Timing.DownAfter {
				continue
			}
			delete(s.suspects, name)
			n.swimDown(name)
		}
	}
	n.swimResolveAgreements() // swim_agree.go
	if len(s.relays) > 0 {
		kept := s.relays[:0]
		for _, r := range s.relays {
			if n.now < r.until {
				kept = append(kept, r)
			}
		}
		s.relays = kept
	}
}

// swimSuspect starts suspecting an alive member (once) and spreads it.
func (n *Node) swimSuspect(name NodeID) {
	st, ok := n.members.members[name]
	if !ok || st.Status != StatusAlive || name == n.cfg.Name {
		return
	}
	if _, already := n.swim.suspects[name]; already {
		return
	}
	n.swim.suspects[name] = n.now
	n.swimEnqueue(Member{Name: name, Incarnation: st.Incarnation, Status: StatusSuspect, Beat: st.Beat})
}

// swimDown declares an alive member down and spreads it.
func (n *Node) swimDown(name NodeID) {
	st, ok := n.members.members[name]
	if !ok || st.Status != StatusAlive {
		return
	}
	n.swimEnqueue(Member{Name: name, Incarnation: st.Incarnation, Status: StatusDown, Beat: st.Beat})
	if t, ok := n.members.markGone(name, StatusDown, n.now); ok {
		n.onMemberTransition(t)
	}
}

// swimPing returns a ping carrying this node's own record, the digest of
// its member table and, with news, piggybacked news.
func (n *Node) swimPing(seq uint64, news bool) Message {
	m := Message{Kind: MsgPing, Seq: seq, Digest: n.members.swimDigest(), Members: []Member{n.members.own().Member}}
	if news {
		m.Members = append(m.Members, n.swimPiggyback()...)
	}
	return m
}

// swimHeard is the detector's part of direct contact with from: the
// contact refutes any suspicion, and from's own record brings its Beat.
func (n *Node) swimHeard(from NodeID, rec *Member) {
	delete(n.swim.suspects, from)
	if st, ok := n.members.members[from]; ok && rec != nil && rec.Incarnation == st.Incarnation {
		if rec.Beat > st.Beat {
			st.Beat = rec.Beat
		}
		n.members.noteStamp(*rec) // swim_agree.go
	}
}

// onSwim handles a ping, ping-req or ack (after Step counted it as direct
// contact): news first, then the answer.
func (n *Node) onSwim(m Message) {
	s := n.swim
	if s == nil {
		return // a node of the other detector: the contact was all it gives
	}
	news := m.Members
	if m.Kind == MsgPingAck && m.Full && m.Count <= len(news) {
		news = m.Members[:m.Count]
	}
	for _, u := range news {
		n.swimApply(u)
	}
	switch m.Kind {
	case MsgPing:
		ack := n.swimPing(m.Seq, m.Seq != 0)
		ack.Kind, ack.Digest = MsgPingAck, 0
		if m.Digest != n.members.swimDigest() {
			// An ack without a table says the tables match: majority
			// quorum establishes members by it (quorum_members.go).
			ack.Count, ack.Full = len(ack.Members), true
			switch {
			case m.Seq == 0: // a contact ping gets no table: swim_join.go
			case m.Version != 0 && m.ToInc == n.cfg.Incarnation:
				// The pull after a welcome: what changed since it, marked
				// as a part of the table (swim_join.go).
				ack.Members, ack.Version = n.members.appendSince(ack.Members, m.Version), m.Version
			default:
				ack.Members = n.members.appendList(slices.Grow(ack.Members, len(n.members.members)))
			}
		} else {
			n.swimAnswerStamps(m, &ack) // the same members: stamps in bits (swim_vouch.go)
		}
		n.send(m.From, ack)
	case MsgPingReq:
		if m.Origin == "" || m.Origin == n.cfg.Name || m.Origin == m.From || len(s.relays) >= swimRelayMax {
			return
		}
		s.lastSeq++
		s.relays = append(s.relays, swimRelay{seq: s.lastSeq, origin: m.From, originSeq: m.Seq, target: m.Origin,
			until: n.now.Add(n.cfg.Timing.HeartbeatInterval)})
		n.send(m.Origin, n.swimPing(s.lastSeq, true))
	case MsgPingAck:
		if m.Full {
			n.mergeMembers(m.Members[len(news):])
		}
		n.swimTakeStamps(m) // swim_vouch.go
		n.swimAcked(m)
	}
}

// swimAcked matches an ack with this period's probe or with a relay.
func (n *Node) swimAcked(m Message) {
	s := n.swim
	if m.Seq == 0 {
		return // the answer to a probe of a down member: contact was all
	}
	if m.Origin == "" {
		for i, r := range s.relays {
			if r.seq == m.Seq && r.target == m.From {
				s.relays = append(s.relays[:i], s.relays[i+1:]...)
				fwd := n.swimPing(r.originSeq, true)
				fwd.Kind, fwd.Origin, fwd.Digest = MsgPingAck, r.target, 0
				n.send(r.origin, fwd)
				return
			}
		}
	}
	target := m.From
	if m.Origin != "" {
		target = m.Origin // relayed
	}
	if p := &s.probe; p.active && p.seq == m.Seq && p.target == target {
		p.acked = true
		delete(s.suspects, target)
	}
}

// swimApply applies one piece of news about a member. News never brings
// a member up (membership.merge handles unknown members and leaves as it
// handles gossip); it marks an alive member suspect or down at its Beat
// or higher, and a higher Beat alive refutes a suspicion. News that this
// node is suspect or down is refuted at once.
func (n *Node) swimApply(u Member) {
	if u.Name == n.cfg.Name {
		own := n.members.own()
		if u.Incarnation == own.Incarnation && (u.Status == StatusSuspect || u.Status == StatusDown) && u.Beat >= own.Beat {
			own.Beat = u.Beat + 1
			n.swimEnqueue(own.Member)
		}
		return
	}
	st, known := n.members.members[u.Name]
	if !known || u.Status == StatusLeft || u.Incarnation != st.Incarnation {
		if t, ok := n.members.merge(u, n.now); ok {
			n.onMemberTransition(t)
			if t.to == StatusLeft {
				n.swimEnqueue(u)
			}
		}
		return
	}
	n.members.noteStamp(u) // swim_agree.go
	switch u.Status {
	case StatusAlive:
		if u.Beat > st.Beat {
			st.Beat = u.Beat
			delete(n.swim.suspects, u.Name)
			n.swimEnqueue(u)
		}
	case StatusSuspect:
		if st.Status == StatusAlive && u.Beat >= st.Beat {
			st.Beat = u.Beat
			n.swimSuspect(u.Name)
		}
	case StatusDown:
		if st.Status == StatusAlive && u.Beat >= st.Beat {
			st.Beat = u.Beat
			delete(n.swim.suspects, u.Name)
			n.swimDown(u.Name)
		}
	}
}
