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
		n1, now, r := requestStepSetup(b, op, n)
		b.StartTimer()
		cpu.start()
		rd := requestStep(n1, now, r)
		cpu.stop()
		b.StopTimer()
		if len(rd.Messages) == 0 {
			b.Fatal("no messages")
		}
	}
}

// requestStepSetup builds 3 nodes and the awaited request of op for n
// children that n1 will make (for a stop, the children started first),
// and returns n1, its time and the request.
func requestStepSetup(tb testing.TB, op Op, n int) (*Node, Instant, Request) {
	c := newBenchCluster(tb, 3)
	specs := benchSpecs("c", n)
	r := Request{ID: 2, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}}
	if op == OpStop {
		ids := make([]ChildID, n)
		for j, s := range specs {
			ids[j] = s.ID
		}
		c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
		c.pump()
		r = Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}}
	}
	return c.nodes["n1"], c.now, r
}

// requestStep is the timed part, apart in profiles from the setup's
// Request calls.
//
//go:noinline
func requestStep(n *Node, now Instant, r Request) Ready {
	n.Request(now, r)
	return n.Ready()
}
