package core

import "testing"

// BenchmarkRequestStepStop1k measures the requesting node's own step for
// an awaited stop of 1,000 children on 3 nodes (started untimed): the
// Request call and the Ready that collects its messages, not the owners'
// steps or the rest of the pump.
func BenchmarkRequestStepStop1k(b *testing.B) { benchmarkRequestStep(b, OpStop, 1000) }

// BenchmarkRequestStepStart1k is BenchmarkRequestStepStop1k for a start.
func BenchmarkRequestStepStart1k(b *testing.B) { benchmarkRequestStep(b, OpStart, 1000) }

func benchmarkRequestStep(b *testing.B, op Op, n int) {
	b.ReportAllocs()
	cpu := newCPUMeter(b)
	defer cpu.report()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := newBenchCluster(b, 3)
		specs := benchSpecs("c", n)
		ids := make([]ChildID, n)
		for j, s := range specs {
			ids[j] = s.ID
		}
		r := Request{ID: 2, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}}
		if op == OpStop {
			c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
			c.pump()
			r = Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}}
		}
		n1 := c.nodes["n1"]
		b.StartTimer()
		cpu.start()
		rd := requestStep(n1, c.now, r)
		cpu.stop()
		b.StopTimer()
		if len(rd.Messages) == 0 {
			b.Fatal("no messages")
		}
	}
}

// requestStep is the timed part, apart in profiles from the setup's
// Request calls.
//
//go:noinline
func requestStep(n *Node, now Instant, r Request) Ready {
	n.Request(now, r)
	return n.Ready()
}
