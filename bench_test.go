package phub_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// BenchmarkLookupLocalParallel measures Lookup with core.Local on a node
// holding 10,000 children, from GOMAXPROCS goroutines at once.
func BenchmarkLookupLocalParallel(b *testing.B) {
	h, ids := benchHub(b)
	var worker atomic.Uint64
	bg := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(worker.Add(1) * 7919)
		for pb.Next() {
			if _, err := h.Lookup(bg, ids[i%len(ids)], core.Local); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

var (
	benchOnce sync.Once
	benchH    *phub.Hub
	benchIDs  []core.ChildID
)

// benchHub returns a single-node hub running 10,000 children, shared by
// every benchmark round (it is never closed).
func benchHub(b *testing.B) (*phub.Hub, []core.ChildID) {
	benchOnce.Do(func() { benchH, benchIDs = newBenchHub(b) })
	if benchH == nil {
		b.Fatal("bench hub setup failed")
	}
	return benchH, benchIDs
}

func newBenchHub(b *testing.B) (*phub.Hub, []core.ChildID) {
	cfg := core.DefaultConfig("bench")
	cfg.Incarnation = 0
	h, err := phub.New(phub.Config{
		Core:      cfg,
		Transport: transport.NewInmemNetwork().Endpoint("bench"),
		Kinds:     phub.Registry{"noop": noopKind},
		Logger:    testLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	sp := specs("noop", "bench", n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res, err := h.StartChildren(ctx, sp, phub.Await()); err != nil || !res.OK() {
		b.Fatalf("start: %v %v", err, res.Errors())
	}
	waitFor(b, 10*time.Second, "index filled", func() bool { return len(h.List()) == n })
	ids := make([]core.ChildID, n)
	for i, s := range sp {
		ids[i] = s.ID
	}
	return h, ids
}

// BenchmarkLookupLocal measures Lookup with core.Local on one goroutine on
// a node holding 1,000, 10,000 and 100,000 idle children, looking the ids
// up in start order with keys allocated apart from the registry's (as a
// caller's ids are), so every lookup hashes, probes and compares for real.
// The next id is found by a wrapping counter, not i%n: a 64-bit division
// per lookup was ~1.5 ns of the figure. It also reports the thread's CPU
// time per lookup (cpu-ns/op), the figure to compare under load.
func BenchmarkLookupLocal(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			h, ids := newIdleBenchHub(b, n)
			bg := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			defer phub.ReportCPUPerOp(b)()
			for i, j := 0, 0; i < b.N; i++ {
				if _, err := h.Lookup(bg, ids[j], core.Local); err != nil {
					b.Fatal(err)
				}
				if j++; j == n {
					j = 0
				}
			}
		})
	}
}

// newIdleBenchHub starts a single-node hub with n IdleChild children and
// returns it with copies of their ids; the hub closes with the benchmark.
func newIdleBenchHub(b *testing.B, n int) (*phub.Hub, []core.ChildID) {
	h := newIdleHub(b, "bench", nil)
	sp := specs("idle", "bench", n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if res, err := h.StartChildren(ctx, sp, phub.Await()); err != nil || !res.OK() {
		b.Fatalf("start: %v %v", err, res.Errors())
	}
	waitFor(b, time.Minute, "index filled", func() bool { return len(h.List()) == n })
	ids := make([]core.ChildID, n)
	for i, s := range sp {
		ids[i] = core.ChildID(strings.Clone(string(s.ID)))
	}
	return h, ids
}

// newIdleHub starts a single-node hub named name whose kind "idle" runs
// one shared IdleChild, after tune (if any) adjusted its core config; the
// hub closes when the test or benchmark ends.
func newIdleHub(tb testing.TB, name string, tune func(*core.Config)) *phub.Hub {
	tb.Helper()
	cfg := core.DefaultConfig(core.NodeID(name))
	cfg.Incarnation = 0
	if tune != nil {
		tune(&cfg)
	}
	idle := &phub.IdleChild{}
	h, err := phub.New(phub.Config{
		Core:      cfg,
		Transport: transport.NewInmemNetwork().Endpoint(core.NodeID(name)),
		Kinds:     phub.Registry{"idle": func(core.ChildSpec) (phub.Child, error) { return idle, nil }},
		Logger:    testLogger(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		h.Close(ctx)
	})
	return h
}
