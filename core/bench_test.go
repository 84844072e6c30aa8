package core

import (
	"fmt"
	"testing"
	"time"
)

// benchCluster wires nodes with instant delivery and instant child starts.
type benchCluster struct {
	nodes   map[NodeID]*Node
	names   []NodeID
	now     Instant
	replies []Reply
	tune    func(*Config)
}

// config is the config of a node of the cluster.
func (c *benchCluster) config(name NodeID) Config {
	cfg := DefaultConfig(name)
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

func newBenchCluster(tb testing.TB, n int) *benchCluster { return newBenchClusterWith(tb, n, nil) }

// newBenchClusterWith is newBenchCluster with tune applied to every
// node's config (nil: the defaults).
func newBenchClusterWith(tb testing.TB, n int, tune func(*Config)) *benchCluster {
	c := &benchCluster{nodes: map[NodeID]*Node{}, now: Instant(time.Second), tune: tune}
	for i := 1; i <= n; i++ {
		c.names = append(c.names, NodeID(fmt.Sprintf("n%d", i)))
	}
	for _, name := range c.names {
		cfg := c.config(name)
		cfg.Seeds = c.names
		cfg.LiveChanges = true // as the runtime drives it (its index keeps live entries only)
		node, err := NewNode(cfg, c.now)
		if err != nil {
			tb.Fatal(err)
		}
		c.nodes[name] = node
	}
	for i := 0; i < 20; i++ {
		c.tick(50 * time.Millisecond)
	}
	return c
}

func (c *benchCluster) tick(d time.Duration) {
	c.now = c.now.Add(d)
	for _, name := range c.names {
		c.nodes[name].Tick(c.now)
	}
	c.pump()
}

// pump delivers every output until the cluster is quiet.
func (c *benchCluster) pump() { c.pumpCounting(nil) }

func benchSpecs(prefix string, n int) []ChildSpec {
	out := make([]ChildSpec, n)
	for i := range out {
		out[i] = ChildSpec{ID: ChildID(fmt.Sprintf("%s-%d", prefix, i))}
	}
	return out
}

func benchmarkStart(b *testing.B, n int) {
	cpu := newCPUMeter(b)
	defer cpu.report()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := newBenchCluster(b, 3)
		specs := benchSpecs("c", n)
		b.StartTimer()
		cpu.start()
		c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
		c.pump()
		cpu.stop()
		b.StopTimer()
		if len(c.replies) != 1 || c.replies[0].Err != nil {
			b.Fatalf("replies %+v", c.replies)
		}
		for _, r := range c.replies[0].Results {
			if r.Err != "" {
				b.Fatalf("%s: %s", r.ID, r.Err)
			}
		}
		for _, name := range c.names {
			if got := c.nodes[name].reg.live; got != n {
				b.Fatalf("%s has %d entries", name, got)
			}
		}
	}
	b.ReportMetric(float64(n), "children/op")
}

// BenchmarkStartAwait measures core CPU for an awaited start of N children
// on 3 nodes with instant delivery (no network, no encoding).
func BenchmarkStartAwait1k(b *testing.B)   { benchmarkStart(b, 1000) }
func BenchmarkStartAwait10k(b *testing.B)  { benchmarkStart(b, 10000) }
func BenchmarkStartAwait100k(b *testing.B) { benchmarkStart(b, 100000) }

func BenchmarkRingSuccessors(b *testing.B) {
	r := newRing(128)
	r.set([]NodeID{"a", "b", "c", "d", "e"})
	var buf []NodeID
	for i := 0; i < b.N; i++ {
		buf = r.successors(buf[:0], ChildID("child-123456"), 2)
	}
}

// BenchmarkStopAwait measures core CPU for an awaited stop of N children
// on 3 nodes (started untimed) with instant delivery.
func BenchmarkStopAwait1k(b *testing.B)  { benchmarkStop(b, 1000) }
func BenchmarkStopAwait10k(b *testing.B) { benchmarkStop(b, 10000) }

func benchmarkStop(b *testing.B, n int) {
	cpu := newCPUMeter(b)
	defer cpu.report()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := newBenchCluster(b, 3)
		specs := benchSpecs("c", n)
		c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
		c.pump()
		ids := make([]ChildID, n)
		for j, s := range specs {
			ids[j] = s.ID
		}
		c.replies = nil
		b.StartTimer()
		cpu.start()
		c.nodes["n1"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}})
		c.pump()
		cpu.stop()
		b.StopTimer()
		if len(c.replies) != 1 || c.replies[0].Err != nil {
			b.Fatalf("replies %+v", c.replies)
		}
		for _, name := range c.names {
			if got := c.nodes[name].reg.live; got != 0 {
				b.Fatalf("%s has %d live entries after the stop", name, got)
			}
		}
	}
	b.ReportMetric(float64(n), "children/op")
}
