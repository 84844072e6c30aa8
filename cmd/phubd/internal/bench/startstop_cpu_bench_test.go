package bench

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// BenchmarkStartStopCPU is BenchmarkStartStop's figure counted in work
// instead of wall time: the process's CPU time (every node, the
// transport, the runtime and GC, user and system) and heap allocations
// per child of the awaited start until every registry holds the children
// and of the awaited stop until every registry is empty, on a fresh
// 3-node TCP cluster per run. On a loaded machine CPU time is inflated
// by cache misses only, not by the time other processes run, so
// before/after comparisons alternate binaries in the same minutes:
//
//	go test ./cmd/phubd/internal/bench -run '^$' -bench 'StartStopCPU' -benchtime 5x
func BenchmarkStartStopCPU(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var startCPU, stopCPU time.Duration
			var startAllocs, stopAllocs uint64
			for i := 0; i < b.N; i++ {
				c, err := newClusterIn(3, "", time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				sp := specsOf(NoopKind, fmt.Sprintf("c%d", i), n)
				ids := make([]core.ChildID, n)
				for j, s := range sp {
					ids[j] = s.ID
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				runtime.GC()
				m0, c0 := mallocs(), cpuTime()
				if res, err := startBatches(ctx, c.hubs[0], sp, maxBatch, phub.Await()); err != nil || !res.OK() {
					b.Fatalf("start: %v %v", err, res.Errors())
				}
				if err := waitUntil(time.Minute, func() bool { return c.allEntries(n) }); err != nil {
					b.Fatal(err)
				}
				startCPU += cpuTime() - c0
				startAllocs += mallocs() - m0
				runtime.GC()
				m1, c1 := mallocs(), cpuTime()
				if res, err := stopBatches(ctx, c.hubs[0], ids, maxBatch, phub.Await()); err != nil || !res.OK() {
					b.Fatalf("stop: %v %v", err, res.Errors())
				}
				if err := waitUntil(time.Minute, func() bool { return c.allEntries(0) }); err != nil {
					b.Fatal(err)
				}
				stopCPU += cpuTime() - c1
				stopAllocs += mallocs() - m1
				cancel()
				c.close()
			}
			k := float64(b.N * n)
			b.ReportMetric(float64(startCPU.Nanoseconds())/k, "start-cpu-ns/child")
			b.ReportMetric(float64(stopCPU.Nanoseconds())/k, "stop-cpu-ns/child")
			b.ReportMetric(float64(startAllocs)/k, "start-allocs/child")
			b.ReportMetric(float64(stopAllocs)/k, "stop-allocs/child")
		})
	}
}
