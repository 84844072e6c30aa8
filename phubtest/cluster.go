// Package phubtest runs a phub cluster inside a Go test, for testing your
// own child kinds and the code around them: N nodes of the real runtime
// (package phub) over the in-memory transport, with your kinds, and the
// faults a cluster meets — a node killed, restarted, partitioned away —
// plus a wait for the cluster to settle. It is to phub what Akka's
// multi-node TestKit or Orleans' TestCluster are to theirs.
//
//	c := phubtest.NewCluster(t, 3, phubtest.WithKinds(phub.Registry{"worker": newWorker}))
//	res, err := c.Node(0).StartChildren(ctx, specs, phub.Await())
//	c.Kill(1)
//	if err := c.WaitConverged(ctx); err != nil { t.Fatal(err) }
//
// Nodes are named n0 … n<N-1> (Node(i) is named Name(i)) and use fast
// timings (a node is declared down 1 s after it goes silent); the
// cluster is closed by t.Cleanup.
package phubtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// TB is the part of testing.TB the kit uses; *testing.T and *testing.B
// satisfy it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

// Option configures NewCluster.
type Option func(*options)

type options struct {
	kinds   phub.Registry
	tweak   []func(*core.Config)
	logger  *slog.Logger
	durable bool
}

// WithStores runs every node in durable mode, each with a MemStore that
// outlives the node (Store(i)): Kill loses nothing the node acknowledged,
// and Restart recovers from it — so a test can kill every node and
// restart them all.
func WithStores() Option {
	return func(o *options) { o.durable = true }
}

// Store returns node i's store (nil without WithStores).
func (c *Cluster) Store(i int) *MemStore {
	c.check(i)
	if c.stores == nil {
		return nil
	}
	return c.stores[i]
}

// WithKinds gives every node these child kinds.
func WithKinds(kinds phub.Registry) Option {
	return func(o *options) { o.kinds = kinds }
}

// WithConfig adjusts every node's core configuration (strategies,
// timings) after the test defaults are set; cfg.Name tells the nodes
// apart. Options given several times apply in order.
func WithConfig(tweak func(cfg *core.Config)) Option {
	return func(o *options) { o.tweak = append(o.tweak, tweak) }
}

// WithLogger sends the nodes' logs to l (default: discarded).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Timing returns the timings NewCluster gives every node:
// core.LocalTiming (a 5 ms tick, 25 ms heartbeats, a node declared down
// after 1 s of silence, retries after 50 ms, a 5 s request timeout).
func Timing() core.Timing { return core.LocalTiming() }

// Cluster is a set of in-process nodes over one in-memory network. Its
// methods are safe for concurrent use, but the fault methods (Kill,
// Restart, Partition, Heal) are meant to be called from the test's
// goroutine.
type Cluster struct {
	t    TB
	opts options
	net  *transport.InmemNetwork

	mu     sync.Mutex
	names  []core.NodeID
	hubs   []*phub.Hub
	live   []bool
	groups [][]int // current partition (nil: none)
	// stores: each node's durable state (WithStores), kept across Kill
	stores []*MemStore
}

// NewCluster starts n nodes and waits until every node sees every other
// one alive (failing the test after 10 s). It registers a cleanup with t
// that closes every node.
func NewCluster(t TB, n int, opts ...Option) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("phubtest: NewCluster: %d nodes, want at least 1", n)
	}
	c := &Cluster{t: t, net: transport.NewInmemNetwork()}
	for _, o := range opts {
		o(&c.opts)
	}
	if c.opts.logger == nil {
		c.opts.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for i := 0; i < n; i++ {
		c.names = append(c.names, core.NodeID(fmt.Sprintf("n%d", i)))
	}
	c.hubs = make([]*phub.Hub, n)
	c.live = make([]bool, n)
	t.Cleanup(c.close)
	for i := range c.names {
		c.start(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.waitFor(ctx, c.membershipAgrees); err != nil {
		t.Fatalf("phubtest: the cluster did not form: %v", err)
	}
	return c
}

// start creates node i's hub (a new incarnation if it ran before).
func (c *Cluster) start(i int) {
	c.t.Helper()
	name := c.names[i]
	cfg := core.DefaultConfig(name)
	cfg.Timing = Timing()
	cfg.AdvertiseAddr = string(name)
	cfg.RandSeed = uint64(i + 1)
	for _, s := range c.names {
		if s != name {
			cfg.Seeds = append(cfg.Seeds, s)
		}
	}
	for _, tw := range c.opts.tweak {
		tw(&cfg)
	}
	pc := phub.Config{Core: cfg, Transport: c.net.Endpoint(name), Kinds: c.opts.kinds, Logger: c.opts.logger}
	if c.opts.durable {
		if c.stores == nil {
			c.stores = make([]*MemStore, len(c.names))
		}
		if c.stores[i] == nil {
			c.stores[i] = NewMemStore()
		}
		c.stores[i].Reopen()
		pc.Store = c.stores[i]
	}
	h, err := phub.New(pc)
	if err != nil {
		c.t.Fatalf("phubtest: starting %s: %v", name, err)
	}
	c.mu.Lock()
	c.hubs[i], c.live[i] = h, true
	c.mu.Unlock()
}

// Len returns the number of nodes, live or not.
func (c *Cluster) Len() int { return len(c.names) }

// Name returns the name of node i (n<i>).
func (c *Cluster) Name(i int) core.NodeID {
	c.check(i)
	return c.names[i]
}

// Node returns node i's hub: the running one, or after Kill the closed
// one (its calls return phub.ErrClosed) until Restart replaces it.
func (c *Cluster) Node(i int) *phub.Hub {
	c.check(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hubs[i]
}

// Live reports whether node i is running (not killed).
func (c *Cluster) Live(i int) bool {
	c.check(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live[i]
}

func (c *Cluster) check(i int) {
	if i < 0 || i >= len(c.names) {
		c.t.Helper()
		c.t.Fatalf("phubtest: node %d does not exist (the cluster has %d nodes: 0..%d)", i, len(c.names), len(c.names)-1)
	}
}

// Kill crashes node i: it stops at once, without leaving the cluster or
// handing anything over, and its children are cancelled (their Run may
// still be returning when Kill returns). The other nodes notice by
// silence (after Timing().DownAfter). Killing a dead node does nothing.
func (c *Cluster) Kill(i int) {
	c.check(i)
	c.mu.Lock()
	h, live := c.hubs[i], c.live[i]
	c.live[i] = false
	c.mu.Unlock()
	if !live {
		return
	}
	// Cut the node off first so whatever it says while stopping (a leave)
	// is lost, as with a crash; then stop it without waiting for a leave.
	// A durable node's store takes no more writes: it recovers the state
	// it had when killed.
	if c.stores != nil {
		c.stores[i].Crash()
	}
	c.net.Disconnect(c.names[i])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = h.Close(ctx) // reports the abandoned leave
}

// Restart starts node i again as a new incarnation (killing it first if
// it runs). It rejoins through its seeds, subject to the current
// partition.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Kill(i)
	c.net.Reconnect(c.names[i])
	c.start(i)
}

// Partition splits the network: nodes talk only to nodes of their own
// group (given by index); nodes named in no group form one more group.
// It replaces an earlier partition. Messages across groups are lost, so
// each side declares the other down after Timing().DownAfter.
func (c *Cluster) Partition(groups ...[]int) {
	named := make([][]core.NodeID, len(groups))
	seen := map[int]bool{}
	for g, idx := range groups {
		for _, i := range idx {
			c.check(i)
			if seen[i] {
				c.t.Helper()
				c.t.Fatalf("phubtest: Partition: node %d is in two groups", i)
			}
			seen[i] = true
			named[g] = append(named[g], c.names[i])
		}
	}
	var rest []int
	for i := range c.names {
		if !seen[i] {
			rest = append(rest, i)
		}
	}
	all := append(append([][]int(nil), groups...), rest)
	c.mu.Lock()
	c.groups = all
	c.mu.Unlock()
	c.net.Partition(named...)
}

// Heal removes the partition; the sides find each other again and merge
// their registries.
func (c *Cluster) Heal() {
	c.mu.Lock()
	c.groups = nil
	c.mu.Unlock()
	c.net.Heal()
}

// close runs at cleanup: every live node leaves, all at once, bounded by
// 10 s.
func (c *Cluster) close() {
	c.Heal()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range c.names {
		c.mu.Lock()
		h, live := c.hubs[i], c.live[i]
		c.live[i] = false
		c.mu.Unlock()
		if !live {
			continue
		}
		wg.Add(1)
		go func(name core.NodeID) {
			defer wg.Done()
			if err := h.Close(ctx); err != nil {
				c.t.Logf("phubtest: closing %s: %v", name, err)
			}
		}(c.names[i])
	}
	wg.Wait()
}
