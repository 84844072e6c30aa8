package core

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Every derivation membership keeps up to date change by change (the
// view at recompute, the SWIM digest, the members held down, the expiry
// bound, the sorted names) equals what the whole table gives, after any
// sequence of contacts, gossip, leaves, downs, expiries and recomputes.
func TestMembershipDerivationsMatchTable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		timing := Timing{DownAfter: time.Duration(rapid.IntRange(1, 50).Draw(t, "downAfter")) * time.Millisecond,
			ForgetDownAfter: time.Duration(rapid.IntRange(1, 50).Draw(t, "forget")) * time.Millisecond}
		now := Instant(1000)
		m := newMembership(Member{Name: "n0", Incarnation: 1}, now)
		m.probed = rapid.Bool().Draw(t, "probed")
		name := func() NodeID { return NodeID(fmt.Sprintf("n%d", rapid.IntRange(0, 7).Draw(t, "name"))) }
		inc := func() uint64 { return uint64(rapid.IntRange(1, 3).Draw(t, "inc")) }
		for step := rapid.IntRange(1, 200).Draw(t, "steps"); step > 0; step-- {
			now = now.Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "advance")) * time.Millisecond)
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0:
				m.heard(name(), inc(), nil, now)
			case 1:
				st := rapid.SampledFrom([]MemberStatus{StatusAlive, StatusDown, StatusLeft}).Draw(t, "status")
				m.merge(Member{Name: name(), Incarnation: inc(), Status: st}, now)
			case 2:
				m.left(name(), inc(), now)
			case 3:
				m.markGone(name(), StatusDown, now)
			case 4:
				expiring := m.mayExpire(now, timing)
				for _, nm := range slices.Clone(m.names()) {
					if _, ok := m.expire(nm, now, timing); ok && !expiring {
						t.Fatalf("%s expired at %d, but mayExpire said no member could", nm, now)
					}
				}
				m.noteExpiry(timing)
			case 5:
				// Both ways of bringing the view up (recompute picks one
				// by the number of changes) give the same view.
				inserted := m.insertedView()
				if inserted == nil {
					inserted = m.view
				}
				if merged := m.mergedView(); !slices.Equal(inserted, merged) {
					t.Fatalf("view %v with the changes inserted one by one, %v merged", inserted, merged)
				}
				before := slices.Clone(m.view)
				changed := m.recompute()
				want := m.viewFromTable()
				if !slices.Equal(m.view, want) {
					t.Fatalf("view %v, table's alive members %v", m.view, want)
				}
				if changed == slices.Equal(before, want) {
					t.Fatalf("recompute reported changed=%v going from %v to %v", changed, before, want)
				}
			}
			checkMembershipDerivations(t, m, now, timing)
		}
	})
}

func checkMembershipDerivations(t *rapid.T, m *membership, now Instant, timing Timing) {
	if m.own() != m.members[m.self] {
		t.Fatalf("own record %p, the table's %p", m.own(), m.members[m.self])
	}
	if want := sortedKeys(m.members); !slices.Equal(m.names(), want) {
		t.Fatalf("names %v, table %v", m.names(), want)
	}
	for i, s := range m.table() {
		if s != m.members[m.sorted[i]] {
			t.Fatalf("states[%d] is not %s's record", i, m.sorted[i])
		}
	}
	if got, want := m.swimDigest(), m.swimDigestOfTable(); got != want {
		t.Fatalf("digest %x, table's %x", got, want)
	}
	inAgree := 0
	for _, s := range m.table() {
		inAgree += btoi(swimDigestTerm(s) != 0)
	}
	if m.delta.agreeSize != inAgree {
		t.Fatalf("agreement bitmap size %d, table's members with a digest term %d", m.delta.agreeSize, inAgree)
	}
	var downs []NodeID
	for _, s := range m.table() {
		if s.Name != m.self && s.Status == StatusDown {
			downs = append(downs, s.Name)
		}
	}
	if !slices.Equal(m.probeTargets(), downs) {
		t.Fatalf("probe targets %v, table's down members %v", m.probeTargets(), downs)
	}
	if !m.mayExpire(now, timing) {
		for _, s := range m.table() {
			if s.Name == m.self {
				continue
			}
			silent := s.Status == StatusAlive && !m.probed && now.Sub(s.lastHeard) > timing.DownAfter
			gone := (s.Status == StatusDown || s.Status == StatusLeft) && now.Sub(s.since) > timing.ForgetDownAfter
			if silent || gone {
				t.Fatalf("%s would expire at %d, but mayExpire says no member can", s.Name, now)
			}
		}
	}
	if len(m.delta.pending) > 2*(len(m.members)+len(m.view))+17 {
		t.Fatalf("%d changes pending for %d members", len(m.delta.pending), len(m.members))
	}
}

// membershipWorkPerMember returns the table entries membership looked at
// per member while size members were learned by gossip, came up one by
// one (a view change each, with the digest sent and the probe targets
// read after each, as a forming node does) and were heard again, within
// DownAfter.
func membershipWorkPerMember(size int) float64 {
	timing := DefaultConfig("n").Timing
	now := Instant(1)
	m := newMembership(Member{Name: "self", Incarnation: 1}, now)
	m.probed = true
	m.noteExpiry(timing)
	for i := 0; i < size; i++ {
		now = now.Add(time.Millisecond)
		m.merge(Member{Name: NodeID(fmt.Sprintf("m%05d", i)), Incarnation: 1, Status: StatusAlive}, now)
	}
	start := m.delta.work
	for i := 0; i < size; i++ {
		now = now.Add(time.Millisecond)
		m.heard(NodeID(fmt.Sprintf("m%05d", i)), 1, nil, now)
		m.recompute()
		_ = m.swimDigest()
		_ = m.probeTargets()
		if m.mayExpire(now, timing) {
			m.noteExpiry(timing)
		}
	}
	for i := 0; i < size; i++ {
		m.heard(NodeID(fmt.Sprintf("m%05d", i)), 1, nil, now)
	}
	return float64(m.delta.work-start) / float64(size)
}

// A view change looks at the changed member only, not the table: the
// work per member that comes up is the same at 50 and at 800 members (it
// was the whole table's walk, over and over, that made forming N nodes
// cost N³).
func TestViewChangeWorkDoesNotGrowWithMembers(t *testing.T) {
	small, large := membershipWorkPerMember(50), membershipWorkPerMember(800)
	if small > 4 || large > 4 {
		t.Errorf("a member coming up cost %.1f table entries at 50 members, %.1f at 800: want at most 4 at either size", small, large)
	}
	t.Logf("table entries looked at per member coming up: %.1f at 50 members, %.1f at 800", small, large)
}

// The same holds for nodes forming a SWIM cluster: the table entries a
// node's membership looks at per view change (each node sees every other
// come up) do not grow with the cluster.
func TestFormingWorkPerViewChange(t *testing.T) {
	per := func(size int) float64 {
		e := swimEnv(t, size)
		work := 0
		for _, n := range e.nodes {
			work += n.members.delta.work
		}
		return float64(work) / float64(size*(size-1))
	}
	small, large := per(8), per(32)
	if small > 8 || large > 8 {
		t.Errorf("forming cost %.1f table entries per view change at 8 nodes, %.1f at 32: want at most 8 at either size", small, large)
	}
	t.Logf("table entries looked at per view change while forming: %.1f at 8 nodes, %.1f at 32", small, large)
}
