package core

import "slices"

// membership is the node's view of the cluster: who is alive, down or
// left, with incarnations. Liveness is decided locally from heartbeats;
// indirect gossip only introduces unknown members or newer incarnations,
// never resurrects a member this node saw go down (that takes direct
// contact), which keeps non-transitive partitions from flapping.
//
// membership is a leaf, like ring: it knows only its own table and the
// time it is handed. Every method that changes a member returns the
// change as a memberTransition; it sends nothing, fires no hook and moves
// no children. Node reacts to transitions in one place
// (Node.onMemberTransition) and recomputes the view there.
type membership struct {
	self    NodeID
	members map[NodeID]*memberState
	view    []NodeID // sorted alive members, self included unless left
	sorted  []NodeID // cached sorted member names; nil after adds/deletes
	// peerList caches the view without self; nil after a view change.
	peerList []NodeID
	// probed: the SWIM detector (swim.go) declares members down; silence
	// alone does not.
	probed bool
}

type memberState struct {
	Member
	lastHeard Instant
	since     Instant // when the status last changed
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
	m.members[self.Name] = &memberState{Member: self, lastHeard: now, since: now}
	m.recompute()
	return m
}

// names returns every member name, sorted (cached; do not modify).
func (m *membership) names() []NodeID {
	if m.sorted == nil {
		m.sorted = sortedKeys(m.members)
	}
	return m.sorted
}

// addName keeps the sorted names cache up to date after adding name to
// the table (a joining node adds every member one by one: no re-sort).
func (m *membership) addName(name NodeID) {
	if m.sorted == nil {
		return
	}
	i, _ := slices.BinarySearch(m.sorted, name)
	m.sorted = slices.Insert(slices.Clip(m.sorted), i, name)
}

// recompute derives the view from the table and reports whether it
// changed.
func (m *membership) recompute() bool {
	var v []NodeID
	for _, name := range m.names() {
		if m.members[name].Status == StatusAlive {
			v = append(v, name)
		}
	}
	changed := len(v) != len(m.view)
	if !changed {
		for i := range v {
			if v[i] != m.view[i] {
				changed = true
				break
			}
		}
	}
	m.view = v
	m.peerList = nil
	return changed
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
func (m *membership) own() *memberState { return m.members[m.self] }

// peers returns the alive members other than self, sorted.
// The slice is derived from the view once per view change (reconcile asks
// for it per child); callers must not modify it.
func (m *membership) peers() []NodeID {
	if m.peerList == nil {
		m.peerList = make([]NodeID, 0, len(m.view))
		for _, v := range m.view {
			if v != m.self {
				m.peerList = append(m.peerList, v)
			}
		}
	}
	return m.peerList
}

// list returns every known member, sorted, for gossip.
func (m *membership) list() []Member {
	out := make([]Member, 0, len(m.members))
	for _, name := range m.names() {
		out = append(out, m.members[name].Member)
	}
	return out
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
		s = &memberState{Member: Member{Name: name}}
		m.members[name] = s
		m.addName(name)
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
		s.Cordoned, s.CordonVer = false, 0 // a restarted node starts uncordoned
		s.Beat = 0                         // and with no SWIM news about it
	}
	if rec != nil {
		takeCordon(s, rec)
	}
	if s.Status != StatusAlive || t.restarted {
		s.Incarnation = inc
		s.Status = StatusAlive
		s.since = now
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
	switch {
	case !known && g.Status != StatusLeft:
		// Unknown member (alive or down elsewhere): it joins our view on
		// direct contact. Until then a joining node waits for it
		// (checkSynced), so it does not act on a partial view.
		m.members[g.Name] = &memberState{Member: Member{Name: g.Name, Incarnation: g.Incarnation, Status: StatusDown, Addr: g.Addr}, since: now}
		m.addName(g.Name)
		return memberTransition{name: g.Name, to: StatusDown, incarnation: g.Incarnation}, true
	case known && g.Status == StatusLeft && g.Incarnation >= s.Incarnation && s.Status != StatusLeft:
		return m.markGone(g.Name, StatusLeft, now)
	case known && s.Addr == "" && g.Addr != "":
		s.Addr = g.Addr
	}
	return t, false
}

// left records a member's graceful leave announced by itself at
// incarnation inc; ok=false if it is unknown or the leave is older than
// what is known.
func (m *membership) left(name NodeID, inc uint64, now Instant) (t memberTransition, ok bool) {
	s, known := m.members[name]
	if !known || s.Incarnation > inc {
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
	s.Status = st
	s.since = now
	return t, true
}

// expire decides at now whether member name fell silent (alive and not
// heard within timing.DownAfter: marked down) or has been gone long enough
// to forget (down or left for timing.ForgetDownAfter: dropped). Callers
// walk names() and react to each transition before expiring the next
// member, so a reaction sees the members not yet expired as they were.
func (m *membership) expire(name NodeID, now Instant, timing Timing) (t memberTransition, ok bool) {
	s, known := m.members[name]
	if !known || name == m.self {
		return t, false
	}
	switch s.Status {
	case StatusAlive:
		if !m.probed && now.Sub(s.lastHeard) > timing.DownAfter {
			return m.markGone(name, StatusDown, now)
		}
	case StatusDown, StatusLeft:
		if now.Sub(s.since) > timing.ForgetDownAfter {
			delete(m.members, name)
			m.sorted = nil
			return memberTransition{name: name, from: s.Status, incarnation: s.Incarnation}, true
		}
	}
	return t, false
}

// setOwnCordon sets this node's own cordon flag, bumping its version;
// it reports whether the flag changed.
func (m *membership) setOwnCordon(on bool) bool {
	s := m.own()
	if s.Cordoned == on {
		return false
	}
	s.Cordoned = on
	s.CordonVer++
	return true
}

// probeTargets returns down members worth probing (to detect heals).
func (m *membership) probeTargets() []NodeID {
	var out []NodeID
	for _, name := range m.names() {
		if name != m.self && m.members[name].Status == StatusDown {
			out = append(out, name)
		}
	}
	return out
}
