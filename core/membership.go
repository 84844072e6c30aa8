package core

// membership is the node's view of the cluster: who is alive, down or
// left, with incarnations. Liveness is decided locally from heartbeats;
// indirect gossip only introduces unknown members or newer incarnations,
// never resurrects a member this node saw go down (that takes direct
// contact), which keeps non-transitive partitions from flapping.
type membership struct {
	n       *Node
	members map[NodeID]*memberState
	view    []NodeID // sorted alive members, self included unless left
	sorted  []NodeID // cached sorted member names; nil after adds/deletes
	// peerList caches the view without self; nil after a view change.
	peerList []NodeID
}

// names returns every member name, sorted (cached; do not modify).
func (m *membership) names() []NodeID {
	if m.sorted == nil {
		m.sorted = sortedKeys(m.members)
	}
	return m.sorted
}

type memberState struct {
	Member
	lastHeard Instant
	since     Instant // when the status last changed
}

func newMembership(n *Node) *membership {
	return &membership{n: n, members: map[NodeID]*memberState{}}
}

func (m *membership) init(now Instant) {
	self := m.n.cfg
	m.members[self.Name] = &memberState{Member: Member{Name: self.Name, Incarnation: self.Incarnation, Status: StatusAlive, Addr: self.AdvertiseAddr}, lastHeard: now, since: now}
	m.recompute()
}

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

// peers returns the alive members other than self, sorted.
// The slice is derived from the view once per view change (reconcile asks
// for it per child); callers must not modify it.
func (m *membership) peers() []NodeID {
	if m.peerList == nil {
		m.peerList = make([]NodeID, 0, len(m.view))
		for _, v := range m.view {
			if v != m.n.cfg.Name {
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

// heard records direct contact from name at incarnation inc, with the
// sender's own member record if the message carried one (its address and
// cordon state). It returns false if the message comes from an older
// incarnation and must be ignored.
func (m *membership) heard(name NodeID, inc uint64, rec *Member) bool {
	if name == m.n.cfg.Name {
		return false
	}
	now := m.n.now
	s, ok := m.members[name]
	if ok && inc < s.Incarnation {
		return false
	}
	if !ok {
		s = &memberState{Member: Member{Name: name}}
		m.members[name] = s
		m.sorted = nil
	}
	if s.Status == StatusLeft && inc == s.Incarnation {
		return false // a left incarnation stays left
	}
	newInc := inc > s.Incarnation
	wasAlive := s.Status == StatusAlive
	s.lastHeard = now
	if rec != nil && rec.Addr != "" {
		s.Addr = rec.Addr
	}
	wasCordoned := s.Cordoned
	if newInc {
		s.Cordoned, s.CordonVer = false, 0 // a restarted node starts uncordoned
	}
	if rec != nil {
		takeCordon(s, rec)
	}
	cordonChanged := s.Cordoned != wasCordoned
	if s.Status != StatusAlive || newInc {
		s.Incarnation = inc
		s.Status = StatusAlive
		s.since = now
		if newInc {
			// A restart: the old incarnation's instances are gone.
			m.n.forgetClaims(name, wasAlive)
		}
		// Exchange full state with every node that comes up, and wait for
		// its state before acting on the registry again.
		m.n.sendFullSync(name)
		m.n.needResync(name)
		m.n.hook(HookPreClusterJoin, name, nil, "")
		m.n.viewChanged("up", name)
		m.n.hook(HookPostClusterJoin, name, nil, "")
		// A restart seen before the old incarnation was declared down
		// leaves the view as it was: the cordon reset still moves the ring.
		if cordonChanged {
			m.n.cordonChanged(name, s.Cordoned)
		}
		return true
	}
	if cordonChanged {
		m.n.cordonChanged(name, s.Cordoned)
	}
	return true
}

// gossiped merges a member list learned indirectly.
func (m *membership) gossiped(list []Member) {
	for _, g := range list {
		if g.Name == m.n.cfg.Name || g.Name == "" {
			continue
		}
		s, ok := m.members[g.Name]
		switch {
		case !ok && g.Status != StatusLeft:
			// Unknown member (alive or down elsewhere): probe it; it joins
			// our view on direct contact. Until then a joining node waits
			// for it (checkSynced), so it does not act on a partial view.
			m.members[g.Name] = &memberState{Member: Member{Name: g.Name, Incarnation: g.Incarnation, Status: StatusDown, Addr: g.Addr}, since: m.n.now}
			m.sorted = nil
			// Probe it now rather than at the next heartbeat: joins
			// complete in a round trip, not a heartbeat interval.
			m.n.send(g.Name, Message{Kind: MsgHeartbeat, Members: m.list()})
		case ok && g.Status == StatusLeft && g.Incarnation >= s.Incarnation && s.Status != StatusLeft:
			m.markGone(g.Name, StatusLeft)
		case ok && s.Addr == "" && g.Addr != "":
			s.Addr = g.Addr
		}
	}
}

// markGone marks a member down or left and updates the view.
func (m *membership) markGone(name NodeID, st MemberStatus) {
	s, ok := m.members[name]
	if !ok || name == m.n.cfg.Name {
		return
	}
	wasAlive := s.Status == StatusAlive
	s.Status = st
	m.n.resynced(name)
	s.since = m.n.now
	if wasAlive {
		m.n.hook(HookPreClusterLeave, name, nil, st.String())
		dir := "down"
		if st == StatusLeft {
			dir = "left"
		}
		m.n.viewChanged(dir, name)
		m.n.hook(HookPostClusterLeave, name, nil, st.String())
	}
}

// tick detects silent members and forgets long-gone ones.
func (m *membership) tick() {
	now := m.n.now
	t := m.n.cfg.Timing
	for _, name := range m.names() {
		s := m.members[name]
		if name == m.n.cfg.Name {
			continue
		}
		switch s.Status {
		case StatusAlive:
			if now.Sub(s.lastHeard) > t.DownAfter {
				m.markGone(name, StatusDown)
			}
		case StatusDown, StatusLeft:
			if now.Sub(s.since) > t.ForgetDownAfter {
				delete(m.members, name)
				m.sorted = nil
				m.n.forgetClaims(name, false)
			}
		}
	}
}

// probeTargets returns down members worth probing (to detect heals).
func (m *membership) probeTargets() []NodeID {
	var out []NodeID
	for _, name := range m.names() {
		if name != m.n.cfg.Name && m.members[name].Status == StatusDown {
			out = append(out, name)
		}
	}
	return out
}
