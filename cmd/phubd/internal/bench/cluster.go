// Package bench measures a real phub cluster over TCP on loopback with the
// definitions of the ProcessHub anchor figures (see README, Performance):
// an awaited start counts until every node's registry holds the entries, a
// stop until every registry is empty, a redistribution until every
// registry matches the ring.
package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/store"
	"github.com/phub/phub/transport"
)

// NoopKind is the child kind the benchmark starts: a phub.IdleChild that
// does nothing, so the numbers measure the distributor, not children
// (no goroutine per child; one shared value for every instance).
const NoopKind = "noop"

// GoroutineKind is a child that runs on a goroutine of its own and waits
// for its context: what a plain phub.Child costs (phubd bench
// --goroutine-children).
const GoroutineKind = "noop-goroutine"

var noopChild = &phub.IdleChild{}

func noopFactory(core.ChildSpec) (phub.Child, error) { return noopChild, nil }

func goroutineFactory(core.ChildSpec) (phub.Child, error) {
	return phub.ChildFunc(func(ctx context.Context, _ phub.ChildEnv) error {
		<-ctx.Done()
		return nil
	}), nil
}

// cluster is a set of in-process nodes talking TCP over loopback.
type cluster struct {
	secret []byte
	seed   string
	hubs   []*phub.Hub
	names  []core.NodeID
	// dir, when set, makes every node durable with a store.WAL in
	// dir/<name> (the durability figures).
	dir    string
	stores []*store.WAL
	// downAfter, if set, replaces Timing.DownAfter (the durability
	// figures use a long one: on a loaded machine a 10,000-child batch
	// can stall a loop past the default 5 s, and a node declared down
	// fails the run instead of measuring it).
	downAfter time.Duration
	// sent counts what every node sends (traffic.go).
	sent traffic
	// tune, if set, adjusts every node's core config (redistswap.go:
	// hot swap).
	tune func(*core.Config)
}

func newCluster(n int) (*cluster, error) { return newClusterIn(n, "", 0) }

// newClusterIn starts n nodes, durable ones with their stores under dir
// if dir is not empty, with Timing.DownAfter = downAfter if not 0.
func newClusterIn(n int, dir string, downAfter time.Duration) (*cluster, error) {
	return newClusterTuned(n, dir, downAfter, nil)
}

// newClusterTuned is newClusterIn with tune applied to every node's core
// config (nil: none).
func newClusterTuned(n int, dir string, downAfter time.Duration, tune func(*core.Config)) (*cluster, error) {
	c := &cluster{secret: make([]byte, 32), dir: dir, downAfter: downAfter, tune: tune}
	if _, err := rand.Read(c.secret); err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		if err := c.add(); err != nil {
			c.close()
			return nil, err
		}
	}
	if err := c.waitFormed(10 * time.Second); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// add starts one more node that joins through the first one.
func (c *cluster) add() error {
	return c.addNamed(core.NodeID(fmt.Sprintf("bench-%d", len(c.hubs)+1)))
}

// addNamed starts a node called name (a restart, for a name used before).
func (c *cluster) addNamed(name core.NodeID) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tr, err := transport.NewTCP(transport.TCPConfig{Name: name, ListenAddr: "127.0.0.1:0", HubID: "bench", Secret: c.secret, Logger: log, MaxBatch: core.DefaultConfig(name).Limits.MaxBatch})
	if err != nil {
		return err
	}
	cfg := core.DefaultConfig(name)
	cfg.HubID = "bench"
	cfg.Incarnation = 0 // the runtime uses its start time
	cfg.AdvertiseAddr = tr.Addr()
	cfg.RandSeed = uint64(len(c.hubs) + 1)
	cfg.Timing.RequestTimeout = time.Minute
	if c.downAfter > 0 {
		cfg.Timing.DownAfter = c.downAfter
	}
	if c.tune != nil {
		c.tune(&cfg)
	}
	if c.seed != "" {
		cfg.Seeds = []core.NodeID{core.NodeID(c.seed)}
	}
	pc := phub.Config{Core: cfg, Transport: countingTCP{TCP: tr, traffic: &c.sent}, Kinds: phub.Registry{NoopKind: noopFactory, GoroutineKind: goroutineFactory}, Logger: log}
	if c.dir != "" {
		st, err := store.Open(filepath.Join(c.dir, string(name)))
		if err != nil {
			tr.Close()
			return err
		}
		pc.Store = st
		c.stores = append(c.stores, st)
	}
	h, err := phub.New(pc)
	if err != nil {
		tr.Close()
		return err
	}
	if c.seed == "" {
		c.seed = tr.Addr()
	}
	c.hubs = append(c.hubs, h)
	c.names = append(c.names, name)
	return nil
}

func (c *cluster) waitFormed(d time.Duration) error {
	return waitUntil(d, func() bool {
		for _, h := range c.hubs {
			if len(h.Alive()) != len(c.hubs) {
				return false
			}
		}
		return true
	})
}

func (c *cluster) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, h := range c.hubs {
		h.Close(ctx)
	}
}

// entries returns the number of live registry entries on every node.
func (c *cluster) entries() []int {
	out := make([]int, len(c.hubs))
	for i, h := range c.hubs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := h.Stats(ctx)
		cancel()
		if err != nil {
			out[i] = -1
			continue
		}
		out[i] = st.Entries
	}
	return out
}

// allEntries reports whether every node's registry holds exactly n live
// entries. It reads each node's lookup index (Hub.Count), which follows
// the registry's live entries batch by batch, so the figures' polls do
// not queue a call on the event loops they measure (a poll through
// Hub.Stats woke all 3 loops every 200 µs).
func (c *cluster) allEntries(n int) bool {
	for _, h := range c.hubs {
		if h.Count() != n {
			return false
		}
	}
	return true
}

// settledSince returns how long after t0 the last of (the reply, which
// came ack after t0, and every node's registry reaching n live entries)
// happened, once allEntries(n) holds. Each node's loop stamps when it
// changed its count (Hub.CountAt), so the figure is when the registries
// agreed, not when the poll noticed: the poll's 200 µs granularity and
// its wake-up latency on a busy machine are not in it.
func (c *cluster) settledSince(t0 time.Time, ack time.Duration, n int) time.Duration {
	last := ack
	for _, h := range c.hubs {
		if got, at := h.CountAt(); got == n {
			last = max(last, at.Sub(t0))
		}
	}
	return last
}

// waitUntil polls cond every 200µs until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not reached within %v", d)
		}
		time.Sleep(200 * time.Microsecond)
	}
	return nil
}

func specs(prefix string, n int) []core.ChildSpec { return specsOf(NoopKind, prefix, n) }

// specsOf returns n specs of kind with ids prefix-0, prefix-1, ...
func specsOf(kind, prefix string, n int) []core.ChildSpec {
	out := make([]core.ChildSpec, n)
	for i := range out {
		out[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("%s-%d", prefix, i)), Kind: kind}
	}
	return out
}
