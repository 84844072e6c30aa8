package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// TestMetadataStaysBounded runs 30 simulated minutes of endless churn —
// children started and stopped under fresh ids, nodes crashing,
// restarting, leaving and joining under fresh names — and asserts every
// node's tables stay under bounds derived from the churn rate and the
// configured TTLs (Swarm #106: unbounded metadata growth).
func TestMetadataStaysBounded(t *testing.T) {
	ttl, forget := time.Minute, 2*time.Minute
	s := New(Options{Seed: 7, Configure: func(c *core.Config) {
		c.Timing.TombstoneTTL = ttl
		c.Timing.ForgetDownAfter = forget
		c.Sync.Interval = 5 * time.Second
	}})
	for i := 1; i <= 4; i++ {
		s.AddNode(nodeName(i))
	}
	s.RunFor(time.Second)
	next, joined := 0, 4
	var tomb, members, claims, gossip, done []int
	const step = 2 * time.Second // 10 starts + 10 stops every step
	for round := 0; round < int(30*time.Minute/step); round++ {
		live := s.LiveNodes()
		node := live[round%len(live)]
		var ids []core.ChildID
		var specs []core.ChildSpec
		for i := 0; i < 10; i++ {
			id := core.ChildID(fmt.Sprintf("k%d", next))
			next++
			specs = append(specs, core.ChildSpec{ID: id})
			ids = append(ids, id)
		}
		s.Request(node, core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Await: true}})
		s.RunFor(step / 2)
		s.Request(node, core.Request{Op: core.OpStop, IDs: ids, Stop: core.StopOptions{Await: true}})
		switch round % 60 {
		case 20: // a crash and restart of an existing node
			s.Crash(live[0])
		case 25:
			s.Restart(live[0])
		case 40: // a fresh node joins, an old one leaves for good
			joined++
			s.AddNode(nodeName(joined))
		case 45:
			if len(live) > 3 {
				s.Leave(live[len(live)-1])
			}
		}
		s.RunFor(step / 2)
		if round%30 == 29 {
			for _, n := range s.LiveNodes() {
				st := s.Node(n).Stats()
				tomb = append(tomb, st.Tombstones)
				members = append(members, st.Members)
				claims = append(claims, st.Claims)
				gossip = append(gossip, st.GossipRefs)
				done = append(done, st.Done)
			}
		}
	}
	// 10 stops per step: tombstones live TTL plus one anti-entropy round.
	tombBound := int((ttl+10*time.Second)/step) * 10 * 2
	var vs []checks.Violation
	vs = append(vs, checks.Bounded("tombstones", tomb, tombBound)...)
	// One fresh node per 2 minutes, forgotten after 2 minutes: a handful.
	vs = append(vs, checks.Bounded("members", members, 12)...)
	vs = append(vs, checks.Bounded("claims", claims, 200)...)
	vs = append(vs, checks.Bounded("gossip refs", gossip, 8192)...)
	vs = append(vs, checks.Bounded("done results", done, 4096)...)
	for _, v := range vs {
		t.Error(v)
	}
	if next < 9000 {
		t.Fatalf("only %d children churned", next)
	}
	maxOf := func(xs []int) int {
		m := 0
		for _, x := range xs {
			m = max(m, x)
		}
		return m
	}
	t.Logf("%d children churned; max tombstones %d (bound %d), members %d, claims %d", next, maxOf(tomb), tombBound, maxOf(members), maxOf(claims))
}
