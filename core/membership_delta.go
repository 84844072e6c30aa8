package core

import (
	"slices"
	"time"
)

// What a membership change costs. A cluster of N nodes forming at once
// makes N² member changes (every node sees every other come up); when each
// of them re-derived the view, the digest, the probe targets or the expiry
// scan from the whole table, forming cost N³. Instead, every change of a
// member's presence, status or incarnation is recorded (changed, forgot),
// and what is derived from the table is brought up to date from those
// records alone:
//
//   - the view: recompute looks up only the changed members, by binary
//     search in the sorted view, and copies the view (a memmove of the
//     names, no lookup) only when one of them joins or leaves it;
//   - the SWIM digest (swim_gossip.go) is a sum of one term per member,
//     updated by the changed member's term;
//   - the members held down (probeTargets) are a sorted set updated by
//     the changed member;
//   - the expiry scan (expireMembers) walks the table only once some
//     member may have fallen silent or been gone long enough: after the
//     earliest deadline the last scan found, or DownAfter (or
//     ForgetDownAfter, the shorter) after the earliest change since.
//
// Each result is exactly what the full derivation gives (the property
// test derives both after every operation); work counts the members each
// derivation looked at, so a test tells O(changed) from O(N).
type memberDelta struct {
	// pending are the members changed since the last recompute, in order
	// of change (a name may repeat).
	pending []NodeID
	// digest is the sum of every record's SWIM digest term
	// (swim_gossip.go), kept up to date on each change; agreeSize counts
	// the records with a term (inAgreeList: the bits of an agreement
	// bitmap, swim_vouch.go).
	digest    uint64
	agreeSize int
	// downs are the members held down, sorted (probeTargets).
	downs []NodeID
	// expiryAt: no member expires at an instant up to it, while expiryOK
	// (the earliest deadline the last scan found).
	expiryAt Instant
	expiryOK bool
	// changedAt is the earliest status change since the last scan, while
	// changedOK: no changed member's deadline comes before it plus the
	// shorter of DownAfter and ForgetDownAfter (its status changed at it
	// or later, and it was heard at it or later).
	changedAt Instant
	changedOK bool
	// work counts the table entries the derivations above looked at.
	work int
	// expireLooks counts the members expire looked up (expireMembers
	// looks up only those expiringNames found: a test tells a lookup per
	// member expiring from a lookup per member of the table).
	expireLooks int
	// moved counts the names written into the sorted names to make room
	// or to fill them: an insert or a delete moves the names after it, a
	// merge writes each name of the grown table once (settle).
	moved int
	// ver numbers the table's changes (changed, forgot); each record
	// holds the number of its last change (memberState.ver), so a peer
	// can be sent what changed since a version (swim_join.go).
	ver uint64
}

// changed records that s was added, or changed its status or
// incarnation (its since is the instant of the change).
func (m *membership) changed(s *memberState) {
	d := &m.delta
	d.ver++
	s.ver = d.ver
	term := swimDigestTerm(s)
	d.digest += term - s.digestTerm
	d.agreeSize += btoi(term != 0) - btoi(s.digestTerm != 0)
	s.digestTerm = term
	m.setDown(s.Name, s.Status == StatusDown && s.Name != m.self)
	if !d.changedOK || s.since < d.changedAt {
		d.changedAt, d.changedOK = s.since, true
	}
	m.note(s.Name)
}

// forgot records that s was dropped from the table.
func (m *membership) forgot(s *memberState) {
	m.delta.ver++
	m.delta.digest -= s.digestTerm
	m.delta.agreeSize -= btoi(s.digestTerm != 0)
	s.digestTerm = 0
	m.setDown(s.Name, false)
	m.note(s.Name)
}

// note records a change of member name for the next recompute.
func (m *membership) note(name NodeID) {
	d := &m.delta
	d.work++
	d.pending = append(d.pending, name)
	if len(d.pending) > 2*(len(m.members)+len(m.view))+16 { // the table, names added by a batch included
		m.compactPending()
	}
}

// setDown puts name into the sorted set of members held down, or takes it
// out.
func (m *membership) setDown(name NodeID, down bool) {
	d := &m.delta
	i, in := slices.BinarySearch(d.downs, name)
	switch {
	case down && !in:
		d.downs = slices.Insert(d.downs, i, name)
	case !down && in:
		d.downs = slices.Delete(d.downs, i, i+1)
	}
}

// compactPending bounds the changes waiting for a recompute (members
// learned and forgotten again while the view stays): each name once, and
// only names of the table or the view, the only ones that can change it.
func (m *membership) compactPending() {
	d := &m.delta
	slices.Sort(d.pending)
	d.pending = slices.Compact(d.pending)
	kept := d.pending[:0]
	for _, name := range d.pending {
		d.work++
		_, known := m.members[name]
		if _, inView := slices.BinarySearch(m.view, name); known || inView {
			kept = append(kept, name)
		}
	}
	d.pending = kept
}

// addName adds a new member's name and record to the table's names: it
// waits in unsorted until the next walk (settle, membership_batch.go).
func (m *membership) addName(name NodeID, s *memberState) {
	m.unsorted = append(m.unsorted, s)
}

// deleteName removes a forgotten member's name and record from the
// sorted names.
func (m *membership) deleteName(name NodeID) {
	m.settle()
	if i, ok := slices.BinarySearch(m.sorted, name); ok {
		m.delta.moved += len(m.sorted) - i - 1
		m.sorted = slices.Delete(m.sorted, i, i+1)
		m.states = slices.Delete(m.states, i, i+1)
	}
}

// recompute brings the view up to the changes recorded since it last ran
// and reports whether it changed. It looks up only the changed members:
// a few are inserted into (or deleted from) a copy of the view one by
// one; many (a table learned at once) join it in one merge (mergedView),
// where one insert each would move the view's names once per member.
func (m *membership) recompute() bool {
	d := &m.delta
	if len(d.pending) == 0 {
		return false
	}
	var v []NodeID // the new view, once a change needs one
	if len(d.pending)*4 >= len(m.view) {
		v = m.mergedView()
	} else {
		v = m.insertedView()
	}
	d.pending = d.pending[:0]
	if v == nil || slices.Equal(v, m.view) {
		return false
	}
	m.view = v
	m.peerList = nil
	return true
}

// insertedView returns a copy of the view with each pending member
// inserted or deleted in turn, or nil if none of them changes it.
func (m *membership) insertedView() []NodeID {
	d := &m.delta
	var v []NodeID
	for _, name := range d.pending {
		d.work++
		cur := v
		if cur == nil {
			cur = m.view
		}
		i, in := slices.BinarySearch(cur, name)
		want := m.alive(name)
		if in == want {
			continue
		}
		if v == nil {
			v = make([]NodeID, len(m.view), len(m.view)+1)
			copy(v, m.view)
		}
		if want {
			v = slices.Insert(v, i, name)
		} else {
			v = slices.Delete(v, i, i+1)
		}
	}
	return v
}

// mergedView returns the view with the pending members merged in: the
// names sorted once, the view's names before each copied, each changed
// member kept if alive. It sorts the pending names in place.
func (m *membership) mergedView() []NodeID {
	d := &m.delta
	slices.Sort(d.pending)
	names := slices.Compact(d.pending)
	v := make([]NodeID, 0, len(m.view)+len(names))
	i := 0
	for _, name := range names {
		d.work++
		for ; i < len(m.view) && m.view[i] < name; i++ {
			v = append(v, m.view[i])
		}
		if i < len(m.view) && m.view[i] == name {
			i++
		}
		if m.alive(name) {
			v = append(v, name)
		}
	}
	v = append(v, m.view[i:]...)
	return v
}

// peersOfView returns view without self: the names before and after
// self's place, copied (no lookup).
func (m *membership) peersOfView() []NodeID {
	out := make([]NodeID, 0, len(m.view))
	i, in := slices.BinarySearch(m.view, m.self)
	out = append(out, m.view[:i]...)
	if in {
		i++
	}
	return append(out, m.view[i:]...)
}

// viewFromTable derives the view from the whole table, as recompute must
// find it (for the property test).
func (m *membership) viewFromTable() []NodeID {
	var v []NodeID
	for _, s := range m.table() {
		if s.Status == StatusAlive {
			v = append(v, s.Name)
		}
	}
	return v
}

// mayExpire reports whether some member may expire at now: false until
// the earliest deadline the last scan found and until the shorter of
// timing's DownAfter and ForgetDownAfter after the earliest change since.
func (m *membership) mayExpire(now Instant, timing Timing) bool {
	d := &m.delta
	if !d.expiryOK {
		return true
	}
	if d.changedOK && now > deadline(d.changedAt, min(timing.DownAfter, timing.ForgetDownAfter)) {
		return true
	}
	return now > d.expiryAt
}

// noteExpiry records, after a scan, the earliest instant at which a
// member could expire: an alive member silent for timing.DownAfter
// (unless SWIM probes decide), a down or left one gone for
// timing.ForgetDownAfter. Hearing from a member only moves its deadline
// later, and a change is bounded by changedAt, so the bound holds.
func (m *membership) noteExpiry(timing Timing) {
	d := &m.delta
	const never = Instant(1<<63 - 1)
	at := never
	for _, s := range m.table() {
		d.work++
		if s.Name == m.self {
			continue
		}
		switch s.Status {
		case StatusAlive:
			if !m.probed {
				at = min(at, deadline(s.lastHeard, timing.DownAfter))
			}
		case StatusDown, StatusLeft:
			at = min(at, deadline(s.since, timing.ForgetDownAfter))
		}
	}
	d.expiryAt, d.expiryOK, d.changedOK = at, true, false
}

// deadline is the last instant at which now.Sub(from) > after is still
// false (saturating).
func deadline(from Instant, after time.Duration) Instant {
	if after >= 0 && from > Instant(1<<63-1)-Instant(after) {
		return Instant(1<<63 - 1)
	}
	return from.Add(after)
}
