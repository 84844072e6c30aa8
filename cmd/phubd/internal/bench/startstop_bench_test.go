package bench

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkStartStop runs phubd bench's start/stop figure (a fresh 3-node
// cluster over TCP loopback, IdleChild children, an awaited start until
// every registry holds them, an awaited stop until every registry is
// empty; DownAfter a minute) and reports its times and the allocations per child of the start
// and of the stop. For CPU profiles of the whole path (runtime, core,
// codec, TCP):
//
//	go test ./cmd/phubd/internal/bench -run '^$' -bench 'StartStop/10000' -benchtime 3x -cpuprofile cpu.out
func BenchmarkStartStop(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var all, stop, startAllocs, stopAllocs float64
			for i := 0; i < b.N; i++ {
				// A loaded machine's starved heartbeats must not end the
				// run: while every node is up, DownAfter changes nothing.
				f, err := startStopDown(n, i, NoopKind, max(startStopDownAfter(n), time.Minute))
				if err != nil {
					b.Fatal(err)
				}
				all += ms(f.all)
				stop += ms(f.stop)
				startAllocs += f.allocsPerChild
				stopAllocs += f.stopAllocsPerChild
			}
			runs := float64(b.N)
			b.ReportMetric(all/runs, "start-ms")
			b.ReportMetric(stop/runs, "stop-ms")
			b.ReportMetric(startAllocs/runs, "start-allocs/child")
			b.ReportMetric(stopAllocs/runs, "stop-allocs/child")
		})
	}
}
