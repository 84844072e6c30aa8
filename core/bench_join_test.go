package core

import (
	"testing"
	"time"
)

// joinCounts is what the nodes sent while a 4th node joined.
type joinCounts struct {
	entries, fullSyncs, messages int
}

// pumpCounting delivers every output until the cluster is quiet,
// counting the messages delivered in k unless k is nil.
func (c *benchCluster) pumpCounting(k *joinCounts) {
	for {
		busy := false
		for _, name := range c.names {
			n := c.nodes[name]
			rd := n.Ready()
			if rd.Empty() {
				continue
			}
			busy = true
			for _, env := range rd.Messages {
				if k != nil {
					k.messages++
					if env.Msg.Kind == MsgReplicate {
						k.entries += len(env.Msg.Entries)
						if env.Msg.Full {
							k.fullSyncs++
						}
					}
				}
				if to := c.nodes[env.To]; to != nil {
					to.Step(c.now, env.Msg)
				}
			}
			for _, e := range rd.Effects {
				if e.Kind == EffectStart {
					n.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
				}
			}
			c.replies = append(c.replies, rd.Replies...)
		}
		if !busy {
			return
		}
	}
}

// joinFourth starts n children on 3 nodes, then adds n4 (seeded with n1)
// and ticks every node until every registry places every child on its
// ring node, counting what was sent from the join on.
func joinFourth(tb testing.TB, n int) (joinCounts, time.Duration) {
	c := newBenchCluster(tb, 3)
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: benchSpecs("c", n), Start: StartOptions{Await: true}})
	c.pump()
	cfg := DefaultConfig("n4")
	cfg.Seeds = []NodeID{"n1"}
	n4, err := NewNode(cfg, c.now)
	if err != nil {
		tb.Fatal(err)
	}
	c.nodes["n4"] = n4
	c.names = append(c.names, "n4")
	ring := NewRing(cfg.Distribution.VirtualNodes, c.names)
	var k joinCounts
	start := c.now
	for i := 0; i < 400; i++ {
		c.now = c.now.Add(10 * time.Millisecond)
		for _, name := range c.names {
			c.nodes[name].Tick(c.now)
		}
		c.pumpCounting(&k)
		if matchesRing(c, ring, n) {
			return k, c.now.Sub(start)
		}
	}
	tb.Fatalf("registries did not match the ring within 4 s of simulated time")
	return k, 0
}

// matchesRing reports whether every node's registry places each of the n
// children on its ring node.
func matchesRing(c *benchCluster, ring *Ring, n int) bool {
	for _, name := range c.names {
		node := c.nodes[name]
		if node.reg.live != n {
			return false
		}
		for _, s := range benchSpecs("c", n) {
			want := ring.BelongsTo(s.ID, 1)[0]
			e := node.reg.view(s.ID, node.members.view, node.members.incarnation)
			if e == nil || len(e.Replicas) != 1 || e.Replicas[0].Node != want {
				return false
			}
		}
	}
	return true
}

// BenchmarkJoin10k measures core CPU for starting 10,000 children on 3
// nodes and a 4th node joining, until every registry matches the ring
// (instant delivery, 10 ms ticks), and reports the entries and full syncs
// the join sent (load-independent).
func BenchmarkJoin10k(b *testing.B) {
	var k joinCounts
	for i := 0; i < b.N; i++ {
		k, _ = joinFourth(b, 10000)
	}
	b.ReportMetric(float64(k.entries)/10000, "entries/child")
	b.ReportMetric(float64(k.fullSyncs), "fullsyncs")
}
