package core

// membership is the node's view of the cluster: who is alive, down or
// left, with incarnations. Liveness is decided locally from heartbeats;
// indirect gossip only introduces unknown members or newer incarnations
// (with the SWIM detector an unknown member learned alive comes up at
// once: swim_agree.go), never resurrects a member this node saw go down
// (that takes direct contact), which keeps non-transitive partitions from
// flapping.
//
// membership is a leaf, like ring: it knows only its own table and the
// time it is handed. Every method that changes a member returns the
// change as a memberTransition; it sends nothing, fires no hook and moves
// no children. Node reacts to transitions in one place
// (Node.onMemberTransition) and recomputes the view there.
type membership struct {
	self    NodeID
	members map[NodeID]*memberState
	// view is the sorted alive members, self included unless left, as of
	// the last recompute. A new slice replaces it on every change, so a
	// caller ranging over it never sees it move.
	view []NodeID
	// sorted is every member name, sorted, as of the last walk: names
	// added since wait in unsorted and join at the next walk in one
	// merge (settle, membership_batch.go); states holds their records in
	// the same order, for walks without a lookup per member. Read them
	// through names() and table().
	sorted []NodeID
	states []*memberState
	// peerList caches the view without self; nil after a view change.
	peerList []NodeID
	// probed: the SWIM detector (swim.go) declares members down; silence
	// alone does not.
	probed bool
	// anyCordoned: some member's cordon flag may be set; false means
	// none is (set with any flag, cleared by clearCordonedIfNone;
	// setRingFromView).
	anyCordoned bool
	// delta: what changed since the view, the digest and the expiry
	// bound were last derived (membership_delta.go).
	delta memberDelta
	// ownRec is this node's own record, which the table holds from start
	// to end (no change replaces or drops it).
	ownRec *memberState
	// unsorted holds the records added since sorted and states were
	// last settled, in order of addition (membership_batch.go).
	unsorted []*memberState
	// spareTransitions is mergeList's buffer while no one uses it.
	spareTransitions []memberTransition
	// slab holds zeroed records for new members, allocated together
	// (newRecord); slabHint is the size of the next slab (mergeList).
	slab     []memberState
	slabHint int
}

type memberState struct {
	Member
	lastHeard Instant
	since     Instant // when the status last changed
	// digestTerm is the record's term of the SWIM digest
	// (membership_delta.go).
	digestTerm uint64
	// ver is the table version of the record's last change
	// (membership_delta.go).
	ver uint64
	// vouchedFor is the sync stamp hash an agreement bitmap said the
	// member stated (swim_vouch.go); 0: none.
	vouchedFor uint64
	// newMet: this node did not know the member when it came up, so a
	// synced node may take its agreement for its full sync
	// (swim_agree.go); cleared when it goes away or comes back.
	newMet bool
}

// memberTransition is one change of one member's record, as membership
// decided it. from and to are the statuses before and after; 0 means the
// member was not (or is no longer) in the table.
type memberTransition struct {
	name     NodeID
	from, to MemberStatus
	// incarnation is the member's incarnation after the change.
	incarnation uint64
	// restarted: a newer incarnation replaced the one known, whose
	// instances are gone.
	restarted bool
	// cordonChanged: the member's cordon flag flipped, to cordoned.
	cordonChanged bool
	cordoned      bool
	// byNews: an unknown member came up on a record learned indirectly
	// (the SWIM detector only: swim_agree.go), not on direct contact.
	byNews bool
}

// cameUp reports a member that became alive or restarted: a join.
func (t memberTransition) cameUp() bool {
	return t.to == StatusAlive && (t.from != StatusAlive || t.restarted)
}

// wentAway reports a member marked down or left (it may have been down
// already: a down member that leaves).
func (t memberTransition) wentAway() bool {
	return t.from != 0 && (t.to == StatusDown || t.to == StatusLeft)
}

// discovered reports a member learned by gossip and not yet contacted.
func (t memberTransition) discovered() bool { return t.from == 0 && t.to == StatusDown }

// forgotten reports a long-gone member dropped from the table.
func (t memberTransition) forgotten() bool { return t.from != 0 && t.to == 0 }

func newMembership(self Member, now Instant) *membership {
	m := &membership{self: self.Name, members: map[NodeID]*memberState{}}
	self.Status = StatusAlive
	m.ownRec = &memberState{Member: self, lastHeard: now, since: now}
	m.members[self.Name] = m.ownRec
	m.sorted, m.states = []NodeID{self.Name}, []*memberState{m.members[self.Name]}
	m.changed(m.members[self.Name])
	m.recompute()
	return m
}

// names returns every member name, sorted. The slice changes in place
// when a member is added or forgotten: callers must not modify it, and a
// caller that changes the table while ranging over it ranges over a copy
// (expireMembers).
func (m *membership) names() []NodeID {
	m.settle()
	return m.sorted
}

// table returns every member's record, sorted by name, under the same
// terms as names.
func (m *membership) table() []*memberState {
	m.settle()
	return m.states
}

func (m *membership) alive(name NodeID) bool {
	s, ok := m.members[name]
	return ok && s.Status == StatusAlive
}

// incarnation returns a member's incarnation (0 for an unknown name).
func (m *membership) incarnation(name NodeID) uint64 {
	if s, ok := m.members[name]; ok {
		return s.Incarnation
	}
	return 0
}

// own returns this node's own record.
func (m *membership) own() *memberState { return m.ownRec }

// peers returns the alive members other than self, sorted.
// The slice is derived from the view once per view change (reconcile asks
// for it per child); callers must not modify it.
func (m *membership) peers() []NodeID {
	if m.peerList == nil {
		m.peerList = m.peersOfView()
	}
	return m.peerList
}

// list returns every known member, sorted, for gossip.
func (m *membership) list() []Member {
	return m.appendList(make([]Member, 0, len(m.members)))
}

// appendList appends every known member, sorted, to dst.
func (m *membership) appendList(dst []Member) []Member {
	for _, s := range m.table() {
		dst = append(dst, s.Member)
	}
	return dst
}

// heard records direct contact at now from name at incarnation inc, with
// the sender's own member record if the message carried one (its address
// and cordon state). It returns ok=false if the message comes from an
// older incarnation (or a left one) and must be ignored.
func (m *membership) heard(name NodeID, inc uint64, rec *Member, now Instant) (t memberTransition, ok bool) {
	if name == m.self {
		return t, false
	}
	s, known := m.members[name]
	if known && inc < s.Incarnation {
		return t, false
	}
	if !known {
		s = m.newRecord()
		s.Member = Member{Name: name}
		m.members[name] = s
		m.addName(name, s) // changed below: it comes up
	}
	if s.Status == StatusLeft && inc == s.Incarnation {
		return t, false // a left incarnation stays left
	}
	t = memberTransition{name: name, from: s.Status, restarted: inc > s.Incarnation}
	s.lastHeard = now
	if rec != nil && rec.Addr != "" {
		s.Addr = rec.Addr
	}
	wasCordoned := s.Cordoned
	if t.restarted {
		s.Cordoned, s.CordonVer, s.Recovering = false, 0, false // a restarted node starts uncordoned
		s.Beat = 0                                              // and with no SWIM news about it
		s.SyncStamp, s.vouchedFor = 0, 0                        // nor a sync stamp of its old life
	}
	if rec != nil {
		takeCordon(s, rec)
	}
	m.anyCordoned = m.anyCordoned || s.Cordoned
	if s.Status != StatusAlive || t.restarted {
		s.Incarnation = inc
		s.Status = StatusAlive
		s.Detected = false
		s.since = now
		m.changed(s)
	}
	t.to, t.incarnation = s.Status, s.Incarnation
	t.cordonChanged, t.cordoned = s.Cordoned != wasCordoned, s.Cordoned
	return t, true
}

// merge merges one member record g learned indirectly (gossip, a join's
// or welcome's member list). ok=false: nothing changed that the node must
// react to (an address learned is applied silently).
func (m *membership) merge(g Member, now Instant) (t memberTransition, ok bool) {
	if g.Name == m.self || g.Name == "" {
		return t, false
	}
	s, known := m.members[g.Name]
	if known {
		noteDetected(s, g)
	}
	switch {
	case !known && g.Status == StatusAlive && m.probed:
		// With SWIM an unknown member learned alive comes up at once: a
		// join spreads as news instead of every node contacting the
		// joiner (swim_agree.go). A member this node knows stays as it
		// is: a down one still comes back only on direct contact.
		s = m.newRecord()
		*s = memberState{Member: Member{Name: g.Name, Incarnation: g.Incarnation, Status: StatusAlive, Addr: g.Addr, Beat: g.Beat, SyncStamp: g.SyncStamp}, since: now}
		takeCordon(s, &g)
		m.anyCordoned = m.anyCordoned || s.Cordoned
		m.members[g.Name] = s
		m.addName(g.Name, s)
		m.changed(s)
		return memberTransition{name: g.Name, to: StatusAlive, incarnation: g.Incarnation, byNews: true,
			cordonChanged: s.Cordoned, cordoned: s.Cordoned}, true
	case known && m.probed:
		m.noteStamp(g)
		if g.Status == StatusLeft && g.Incarnation >= s.Incarnation && s.Status != StatusLeft {
			return m.markGone(g.Name, StatusLeft, now)
		}
		if s.Addr == "" && g.Addr != "" {
			s.Addr = g.Addr
		}
	case !known && g.Status != StatusLeft:
		// Unknown member (alive or down elsewhere): it joins our view on
		// direct contact. Until then a joining node waits for it
		// (checkSynced), so it does not act on a partial view.
		s = m.newRecord()
		*s = memberState{Member: Member{Name: g.Name, Incarnation: g.Incarnation, Status: StatusDown, Addr: g.Addr,
			Detected: g.Status == StatusDown && g.Detected}, since: now}
		m.members[g.Name] = s
		m.addName(g.Name, s)
		m.changed(s)
		return memberTransition{name: g.Name, to: StatusDown, incarnation: g.Incarnation}, true
	case known && g.Status == StatusLeft && g.Incarnation >= s.Incarnation && s.Status != StatusLeft:
		return m.markGone(g.Name, StatusLeft, now)
	case known && s.Addr == "" && g.Addr != "":
		s.Addr = g.Addr
	}
	return t, false
}

// noteDetected updates whether a down member this node never heard from
// directly counts as detected down (Member.Detected) from a record g of
// it: a record of the same or a newer incarnation that is Detected makes
// it so, one that shows it alive or suspect undoes it (some node hears
// it, so a booting node waits for it). A member this node heard from
// keeps its own verdict.
func noteDetected(s *memberState, g Member) {
	if s.Status != StatusDown || s.lastHeard != 0 || g.Incarnation < s.Incarnation {
		return
	}
	switch g.Status {
	case StatusDown:
		s.Detected = s.Detected || g.Detected
	case StatusAlive, StatusSuspect:
		s.Detected = false
	}
}

// left records a member's graceful leave announced by itself at
// incarnation inc; ok=false if it is unknown or the leave is older than
// what is known.
func (m *membership) left(name NodeID, inc uint64, now Instant) (t memberTransition, ok bool) {
	s, known := m.members[name]
	if !known || s.Incarnation > inc || name == m.self {
		return t, false
	}
	s.Incarnation = inc
	return m.markGone(name, StatusLeft, now)
}

// markGone marks a member down or left.
func (m *membership) markGone(name NodeID, st MemberStatus, now Instant) (t memberTransition, ok bool) {
	s, known := m.members[name]
	if !known || name == m.self {
		return t, false
	}
	t = memberTransition{name: name, from: s.Status, to: st, incarnation: s.Incarnation}
	s.Detected = st == StatusDown && s.Status == StatusAlive // a detector's verdict (checkSynced trusts it)
	s.Status = st
	s.since = now
	m.changed(s)
	return t, true
}

// expire decides at now whether member name fell silent (alive and not
// heard within timing.DownAfter: marked down) or has been gone long enough
// to forget (down or left for timing.ForgetDownAfter: dropped). Callers
// walk expiringNames and react to each transition before expiring the
// next member, so a reaction sees the members not yet expired as they
// were.
func (m *membership) expire(name NodeID, now Instant, timing Timing) (t memberTransition, ok bool) {
	m.delta.expireLooks++
	s, known := m.members[name]
	if !known || !m.expiring(s, now, timing) {
		return t, false
	}
	if s.Status == StatusAlive {
		return m.markGone(name, StatusDown, now)
	}
	delete(m.members, name)
	m.deleteName(name)
	m.forgot(s)
	return memberTransition{name: name, from: s.Status, incarnation: s.Incarnation}, true
}

// expiring reports whether member s expires at now (expire): an alive
// member silent for timing.DownAfter (unless SWIM probes decide), a down
// or left one gone for timing.ForgetDownAfter; never this node.
func (m *membership) expiring(s *memberState, now Instant, timing Timing) bool {
	if s.Name == m.self {
		return false
	}
	switch s.Status {
	case StatusAlive:
		return !m.probed && now.Sub(s.lastHeard) > timing.DownAfter
	case StatusDown, StatusLeft:
		return now.Sub(s.since) > timing.ForgetDownAfter
	}
	return false
}

// expiringNames returns, sorted, the members that expire at now
// (expiring), in a new slice (nil if none): a walk of the table with no
// lookup, where a scan of every name looked each one up. Expiring one
// member changes no other member's record, so the names expire walks
// through them are those a walk of every name would expire.
func (m *membership) expiringNames(now Instant, timing Timing) []NodeID {
	var out []NodeID
	for _, s := range m.table() {
		if m.expiring(s, now, timing) {
			out = append(out, s.Name)
		}
	}
	return out
}

// setOwnCordon sets this node's own cordon flag, bumping its version;
// it reports whether the flag changed.
func (m *membership) setOwnCordon(on bool) bool {
	s := m.own()
	if s.Cordoned == on {
		return false
	}
	s.Cordoned, s.Recovering = on, false
	s.CordonVer++
	m.anyCordoned = m.anyCordoned || on
	return true
}

// setOwnRecovering marks this node's own cordon as its recovery wait's
// (Member.Recovering) or as a requested one, bumping its version.
func (m *membership) setOwnRecovering(on bool) {
	s := m.own()
	s.Recovering = on && s.Cordoned
	s.CordonVer++
}

// probeTargets returns down members worth probing (to detect heals),
// sorted. The set is kept up to date on each change
// (membership_delta.go); callers must not modify it.
func (m *membership) probeTargets() []NodeID { return m.delta.downs }

// noteStamp takes the sync stamp of g, a record of a known member, if it
// is of the member's current incarnation and newer than the one held
// (stampNewer): an older record never replaces a newer stamp.
func (m *membership) noteStamp(g Member) {
	s, ok := m.members[g.Name]
	if !ok || g.Name == m.self || g.Incarnation != s.Incarnation || g.Status != StatusAlive {
		return
	}
	if stampNewer(g.SyncStamp, s.SyncStamp) {
		s.SyncStamp = g.SyncStamp
	}
}
