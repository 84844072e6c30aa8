package phub_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// testTiming is fast enough for unit tests and slow enough for a loaded
// CI machine.
func testTiming() core.Timing {
	t := core.LocalTiming() // DownAfter 1s: 200ms declared live nodes down at a load average of 38 (ErrNodeDown in TestClusterStartLookupStop)
	if raceEnabled {
		t.DownAfter = 2 * time.Second
	}
	return t
}

// steadyTiming is a newCluster tweak for tests in which no node fails,
// leaves or is cut off: the failure detector has nothing to find there,
// so DownAfter and RequestTimeout are a minute, longer than any stall a
// loaded machine imposes on a hub's event loop. With testTiming's
// DownAfter of 1 s, TestRequestErrors failed at load ~100 with "node
// down: owner a": b had not heard from the live a for a second and failed
// the request routed to it, as core promises for an owner it believes
// gone. Tests of crashes and cuts keep testTiming.
func steadyTiming(cfg *core.Config) {
	cfg.Timing.DownAfter = time.Minute
	cfg.Timing.RequestTimeout = time.Minute
}

// unstartableKind accepts every spec at the entry but fails to build its
// child on the node that must run it (a plain factory error).
func unstartableKind(core.ChildSpec) (phub.Child, error) {
	return nil, errors.New("cannot build this child here")
}

// noopKind is a child that runs until stopped.
func noopKind(core.ChildSpec) (phub.Child, error) {
	return phub.ChildFunc(func(ctx context.Context, _ phub.ChildEnv) error {
		<-ctx.Done()
		return nil
	}), nil
}

type cluster struct {
	t        testing.TB
	net      *transport.InmemNetwork
	names    []core.NodeID
	hubs     map[core.NodeID]*phub.Hub
	counters map[core.NodeID]*kinds.Counters
}

// newCluster starts n nodes named a, b, c, ... over an in-memory network;
// tweak adjusts each node's core config. It waits until every node sees
// every other one alive.
func newCluster(t testing.TB, n int, tweak func(*core.Config)) *cluster {
	t.Helper()
	c := &cluster{t: t, net: transport.NewInmemNetwork(), hubs: map[core.NodeID]*phub.Hub{}, counters: map[core.NodeID]*kinds.Counters{}}
	for i := 0; i < n; i++ {
		c.names = append(c.names, core.NodeID(string(rune('a'+i))))
	}
	for _, name := range c.names {
		cfg := core.DefaultConfig(name)
		cfg.Incarnation = 0
		cfg.Timing = testTiming()
		cfg.AdvertiseAddr = string(name)
		cfg.RandSeed = uint64(len(c.hubs) + 1)
		for _, s := range c.names {
			if s != name {
				cfg.Seeds = append(cfg.Seeds, s)
			}
		}
		if tweak != nil {
			tweak(&cfg)
		}
		counters := kinds.NewCounters()
		h, err := phub.New(phub.Config{
			Core:      cfg,
			Transport: c.net.Endpoint(name),
			Kinds:     phub.Registry{kinds.CounterKind: counters.Factory, "noop": noopKind, "unstartable": unstartableKind, "idle": idleKind},
			Logger:    testLogger(),
		})
		if err != nil {
			t.Fatalf("New(%s): %v", name, err)
		}
		c.hubs[name] = h
		c.counters[name] = counters
	}
	t.Cleanup(c.closeAll)
	c.waitFor(30*time.Second, "cluster formed", func() bool {
		for _, h := range c.hubs {
			if len(h.Alive()) != n {
				return false
			}
		}
		return true
	})
	return c
}

func (c *cluster) closeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, name := range c.names {
		if err := c.hubs[name].Close(ctx); err != nil {
			c.t.Errorf("Close(%s): %v", name, err)
		}
	}
}

func (c *cluster) hub(name core.NodeID) *phub.Hub { return c.hubs[name] }

// waitFor polls cond until it holds or the deadline passes.
func (c *cluster) waitFor(d time.Duration, what string, cond func() bool) {
	c.t.Helper()
	waitFor(c.t, d, what, cond)
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func specs(kind, prefix string, n int) []core.ChildSpec {
	out := make([]core.ChildSpec, n)
	for i := range out {
		out[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("%s-%03d", prefix, i)), Kind: kind}
	}
	return out
}

// runningOn returns, per child id, the nodes whose local children list it.
func (c *cluster) runningOn() map[core.ChildID][]core.NodeID {
	out := map[core.ChildID][]core.NodeID{}
	for _, name := range c.names {
		for _, ch := range c.hubs[name].WhichChildrenLocal().Children {
			out[ch.ID] = append(out[ch.ID], name)
		}
	}
	for _, ns := range out {
		sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	}
	return out
}

func testLogger() *slog.Logger {
	if os.Getenv("PHUB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// whichGlobal calls WhichChildrenGlobal until every node answers: each
// call has 300 ms, which a loaded machine may not meet. (It once also
// worked around a core bug, answers dropped after a tick between request
// and answers; 50 single calls in a row now all answer.)
func (c *cluster) whichGlobal(h *phub.Hub, nodes int) []core.NodeChildren {
	c.t.Helper()
	var (
		global      []core.NodeChildren
		unreachable []core.NodeID
		err         error
	)
	for attempt := 0; attempt < 20; attempt++ {
		global, unreachable, err = h.WhichChildrenGlobal(ctxT(c.t, 300*time.Millisecond))
		if err == nil && len(unreachable) == 0 && len(global) == nodes {
			return global
		}
	}
	c.t.Fatalf("WhichChildrenGlobal: %d nodes, unreachable %v, err %v", len(global), unreachable, err)
	return nil
}
