package phub_test

import (
	"context"
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
