package core

import (
	"fmt"
	"testing"
	"time"
)

// lockstep drives a few core nodes with instant delivery, instant child
// starts and an optional message filter, for focused protocol tests that
// pin behaviour the simulator's sweep cannot see (found by cmd/mutate).
type lockstep struct {
	t       *testing.T
	nodes   map[NodeID]*Node
	names   []NodeID
	now     Instant
	replies map[NodeID][]Reply
	hooks   map[NodeID][]Hook
	effects map[NodeID][]Effect
	// sent logs every message a node emitted, delivered or dropped.
	sent []Envelope
	// drop, when set, discards the messages it returns true for.
	drop func(Envelope) bool
	// holdStart, when set, keeps the starts it returns true for from
	// reporting running (a child still starting); the test reports them.
	holdStart func(node NodeID, e Effect) bool
}

// newLockstep starts n nodes (n1..nN) with FastTiming-like settings from
// tune and ticks until every node is synced with every other.
func newLockstep(t *testing.T, n int, tune func(*Config)) *lockstep {
	t.Helper()
	c := &lockstep{t: t, nodes: map[NodeID]*Node{}, now: Instant(1000 * time.Second),
		replies: map[NodeID][]Reply{}, hooks: map[NodeID][]Hook{}, effects: map[NodeID][]Effect{}}
	for i := 1; i <= n; i++ {
		c.names = append(c.names, NodeID(fmt.Sprintf("n%d", i)))
	}
	for _, name := range c.names {
		cfg := DefaultConfig(name)
		cfg.Incarnation = 1
		cfg.Seeds = c.names
		if tune != nil {
			tune(&cfg)
		}
		node, err := NewNode(cfg, c.now)
		if err != nil {
			t.Fatal(err)
		}
		c.nodes[name] = node
	}
	c.until(func() bool {
		for _, node := range c.nodes {
			if !node.ready() || len(node.View()) != n {
				return false
			}
		}
		return true
	}, time.Minute, "cluster formed")
	return c
}

// restart replaces name's node with a new incarnation of it, in memory
// (its configuration with Incarnation inc), and returns the new node.
func (c *lockstep) restart(name NodeID, inc uint64) *Node {
	c.t.Helper()
	cfg := c.nodes[name].cfg
	cfg.Incarnation = inc
	n, err := NewNode(cfg, c.now)
	if err != nil {
		c.t.Fatal(err)
	}
	c.nodes[name] = n
	return n
}

func (c *lockstep) tick() {
	c.now = c.now.Add(c.nodes[c.names[0]].cfg.Timing.TickInterval)
	for _, name := range c.names {
		c.nodes[name].Tick(c.now)
	}
	c.pump()
}

// until ticks until cond holds, failing after limit of node time.
func (c *lockstep) until(cond func() bool, limit time.Duration, what string) {
	c.t.Helper()
	end := c.now.Add(limit)
	for !cond() {
		if c.now > end {
			c.t.Fatalf("%s: not within %s", what, limit)
		}
		c.tick()
	}
}

// runFor ticks for d of node time.
func (c *lockstep) runFor(d time.Duration) {
	end := c.now.Add(d)
	for c.now < end {
		c.tick()
	}
}

// pumpRoundsMax bounds pump: a cluster whose nodes keep returning
// non-empty batches without any tick never goes quiet, a bug (a driver's
// delivery loop would spin), and fails the test instead of hanging it.
const pumpRoundsMax = 100_000

// pump delivers every output until the cluster is quiet.
func (c *lockstep) pump() {
	c.t.Helper()
	for busy, rounds := true, 0; busy; rounds++ {
		if rounds == pumpRoundsMax {
			c.t.Fatalf("the cluster is not quiet after %d delivery rounds without a tick", rounds)
		}
		busy = false
		for _, name := range c.names {
			n := c.nodes[name]
			rd := n.Ready()
			if rd.Empty() {
				continue
			}
			busy = true
			for _, env := range rd.Messages {
				c.sent = append(c.sent, env)
				if c.drop != nil && c.drop(env) {
					continue
				}
				if to := c.nodes[env.To]; to != nil {
					to.Step(c.now, env.Msg)
				}
			}
			c.effects[name] = append(c.effects[name], rd.Effects...)
			for _, e := range rd.Effects {
				if e.Kind == EffectStart && (c.holdStart == nil || !c.holdStart(name, e)) {
					n.ChildEvent(c.now, ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
				}
			}
			c.replies[name] = append(c.replies[name], rd.Replies...)
			c.hooks[name] = append(c.hooks[name], rd.Hooks...)
		}
	}
}

// request issues r on node and ticks until its reply arrives.
func (c *lockstep) request(node NodeID, r Request) Reply {
	c.t.Helper()
	c.nodes[node].Request(c.now, r)
	c.pump()
	var got *Reply
	c.until(func() bool {
		for i := range c.replies[node] {
			if c.replies[node][i].ID == r.ID {
				got = &c.replies[node][i]
				return true
			}
		}
		return false
	}, time.Minute, fmt.Sprintf("reply to %s request %d", r.Op, r.ID))
	return *got
}

// ownedBy returns a child id whose owner (on node's ring) is owner.
func (c *lockstep) ownedBy(owner NodeID, prefix string) ChildID {
	c.t.Helper()
	for i := 0; i < 1000; i++ {
		id := ChildID(fmt.Sprintf("%s-%d", prefix, i))
		if c.nodes[owner].ownerOf(id) == owner {
			return id
		}
	}
	c.t.Fatalf("no id owned by %s", owner)
	return ""
}

// fastTiming is the simulator's timing (short ticks and timeouts).
func fastTiming(cfg *Config) {
	cfg.Timing.TickInterval = 10 * time.Millisecond
	cfg.Timing.HeartbeatInterval = 50 * time.Millisecond
	cfg.Timing.DownAfter = 300 * time.Millisecond
	cfg.Timing.RetryInterval = 30 * time.Millisecond
	cfg.Timing.RequestTimeout = time.Second
}

// holdStartsOf holds every start of child id on node (holdStart) and
// returns the held starts, in order, as they are held: the caller
// releases or reports them itself.
func (c *lockstep) holdStartsOf(node NodeID, id ChildID) *heldStarts {
	h := &heldStarts{}
	c.holdStart = func(n NodeID, e Effect) bool {
		if n == node && e.ID == id {
			h.list = append(h.list, e)
			return true
		}
		return false
	}
	return h
}

// heldStarts collects the starts holdStartsOf held.
type heldStarts struct{ list []Effect }
