package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// strictWorld drives bare strict-mode nodes in lockstep: true time moves in
// ticks, every node's monotonic clock runs at its own rate, messages arrive
// one tick later unless a link is cut, children run until stopped or until
// their node's fence deadline passes on that node's clock (even when the
// node is paused), and every instance's run is recorded in true time.
type strictWorld struct {
	t      *testing.T
	now    Instant // true time
	names  []NodeID
	nodes  map[NodeID]*Node
	rate   map[NodeID]float64
	paused map[NodeID]bool
	cut    map[[2]NodeID]bool
	fence  map[NodeID]Mono
	flight []Envelope
	next   []Envelope
	runs   []strictRun
	open   map[string]int // node/id/instance -> index in runs
	events map[NodeID][]ChildEvent
	// replies collects every node's replies to requests, in order.
	replies map[NodeID][]Reply
}

type strictRun struct {
	node     NodeID
	id       ChildID
	from, to Instant
}

func strictConfig(name NodeID, voters []NodeID) Config {
	cfg := DefaultConfig(name)
	cfg.Incarnation = 1
	cfg.RandSeed = 1
	cfg.CheckInvariants = true
	fastTiming(&cfg)
	cfg.Seeds = voters
	// A lease longer than failure detection, so takeovers wait for it.
	cfg.Partition = PartitionConfig{Kind: Strict, Voters: voters, Lease: 3 * cfg.Timing.DownAfter}
	return cfg
}

func newStrictWorld(t *testing.T, rates map[NodeID]float64) *strictWorld {
	w := &strictWorld{t: t, now: Instant(1000 * time.Second), nodes: map[NodeID]*Node{}, rate: rates,
		paused: map[NodeID]bool{}, cut: map[[2]NodeID]bool{}, fence: map[NodeID]Mono{}, open: map[string]int{},
		events: map[NodeID][]ChildEvent{}}
	for name := range rates {
		w.names = append(w.names, name)
	}
	w.names = sortedNodes(w.names)
	for _, name := range w.names {
		n, err := NewNode(strictConfig(name, w.names), w.now)
		if err != nil {
			t.Fatal(err)
		}
		w.nodes[name] = n
		w.fence[name] = NoLease
	}
	return w
}

func (w *strictWorld) mono(name NodeID) Mono {
	return Mono(float64(w.now-Instant(1000*time.Second))*w.rate[name]) + 7*Mono(time.Hour)
}

func (w *strictWorld) key(name NodeID, id ChildID, inst uint64) string {
	return fmt.Sprintf("%s/%s/%d", name, id, inst)
}

func (w *strictWorld) end(k string) {
	if i, ok := w.open[k]; ok {
		w.runs[i].to = w.now
		delete(w.open, k)
	}
}

func (w *strictWorld) drain(name NodeID) {
	r := w.nodes[name].Ready()
	if len(r.Replies) > 0 {
		if w.replies == nil {
			w.replies = map[NodeID][]Reply{}
		}
		w.replies[name] = append(w.replies[name], r.Replies...)
	}
	for _, e := range r.Effects {
		k := w.key(name, e.ID, e.Instance)
		switch e.Kind {
		case EffectStart:
			w.open[k] = len(w.runs)
			w.runs = append(w.runs, strictRun{node: name, id: e.ID, from: w.now, to: -1})
			w.events[name] = append(w.events[name], ChildEvent{Kind: ChildStarted, ID: e.ID, Instance: e.Instance})
		case EffectStop:
			if _, ok := w.open[k]; ok {
				w.end(k)
				w.events[name] = append(w.events[name], ChildEvent{Kind: ChildExited, ID: e.ID, Instance: e.Instance})
			}
		}
	}
	if r.LeaseUntil != 0 {
		w.fence[name] = r.LeaseUntil
	}
	w.next = append(w.next, r.Messages...)
}

// step advances true time by one tick: fence timers fire, messages of the
// last tick arrive, child reports are fed back, unpaused nodes tick.
func (w *strictWorld) step() {
	w.now = w.now.Add(10 * time.Millisecond)
	for _, name := range w.names {
		if w.mono(name) >= w.fence[name] {
			for _, k := range sortedKeysOf(w.open) {
				if strings.HasPrefix(k, string(name)+"/") {
					w.end(k)
				}
			}
		}
	}
	flight := w.flight
	w.flight = nil
	for _, env := range flight {
		from := env.Msg.From
		if w.cut[[2]NodeID{from, env.To}] || w.cut[[2]NodeID{env.To, from}] {
			continue
		}
		if w.paused[env.To] {
			w.flight = append(w.flight, env) // queued until the node wakes
			continue
		}
		n := w.nodes[env.To]
		n.SetMono(w.mono(env.To))
		n.Step(w.now, env.Msg)
		w.drain(env.To)
	}
	for _, name := range w.names {
		if w.paused[name] {
			continue
		}
		n := w.nodes[name]
		for _, ev := range w.events[name] {
			n.SetMono(w.mono(name))
			n.ChildEvent(w.now, ev)
			w.drain(name)
		}
		w.events[name] = nil
		n.SetMono(w.mono(name))
		n.Tick(w.now)
		w.drain(name)
	}
	w.flight = append(w.flight, w.next...)
	w.next = nil
	if o := w.overlap(); o != "" {
		w.t.Fatalf("at %s: %s", time.Duration(w.now-Instant(1000*time.Second)), o)
	}
}

func sortedKeysOf(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// overlap names two instances of one child running now, if any.
func (w *strictWorld) overlap() string {
	running := map[ChildID]NodeID{}
	for _, k := range sortedKeysOf(w.open) {
		r := w.runs[w.open[k]]
		if other, ok := running[r.id]; ok {
			return fmt.Sprintf("child %s runs on %s and %s", r.id, other, r.node)
		}
		running[r.id] = r.node
	}
	return ""
}

func (w *strictWorld) run(d time.Duration) {
	for end := w.now.Add(d); w.now < end; {
		w.step()
	}
}

func (w *strictWorld) where(id ChildID) []NodeID {
	var out []NodeID
	for _, k := range sortedKeysOf(w.open) {
		if r := w.runs[w.open[k]]; r.id == id {
			out = append(out, r.node)
		}
	}
	return out
}

// startOne starts id from node at, runs a second, and returns the one node
// it runs on (the test fails if it runs on none or several).
// othersThan returns, in name order, the two nodes of a three-node world
// other than h: a voter that granted h's child and another node.
func (w *strictWorld) othersThan(h NodeID) (v, other NodeID) {
	for _, name := range w.names {
		switch {
		case name == h:
		case v == "":
			v = name
		default:
			other = name
		}
	}
	return v, other
}

func (w *strictWorld) startOne(at NodeID, id ChildID) NodeID {
	w.t.Helper()
	w.start(at, id)
	w.run(time.Second)
	on := w.where(id)
	if len(on) != 1 {
		w.t.Fatalf("%s runs on %v, want one node", id, on)
	}
	return on[0]
}

func (w *strictWorld) start(at NodeID, ids ...ChildID) {
	var specs []ChildSpec
	for _, id := range ids {
		specs = append(specs, ChildSpec{ID: id})
	}
	n := w.nodes[at]
	n.SetMono(w.mono(at))
	n.Request(w.now, Request{ID: 1, Op: OpStart, Specs: specs})
	w.drain(at)
}

func (w *strictWorld) isolate(name NodeID, on bool) {
	for _, o := range w.names {
		if o != name {
			w.cut[[2]NodeID{name, o}] = on
		}
	}
}

func TestStrictConfigErrors(t *testing.T) {
	for _, c := range []struct {
		field string
		tune  func(*Config)
	}{
		{"Partition.Voters", func(c *Config) { c.Partition.Voters = nil }},
		{"Partition.Voters", func(c *Config) { c.Partition.Voters = []NodeID{"a", "a"} }},
		{"Partition.MaxDrift", func(c *Config) { c.Partition.MaxDrift = 0.2 }},
		{"Partition.Lease", func(c *Config) { c.Partition.Lease = c.Timing.HeartbeatInterval }},
		{"Redundancy.Factor", func(c *Config) { c.Redundancy.Factor = 2 }},
		{"Migration.Kind", func(c *Config) { c.Migration.Kind = HotSwap }},
	} {
		cfg := strictConfig("a", []NodeID{"a", "b", "c"})
		c.tune(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
	cfg := strictConfig("a", []NodeID{"a", "b", "c"})
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestStrictRunsNothingUntilLeased: a booting cluster grants nothing for a
// whole voter hold (voters may have forgotten grants), then runs the child
// exactly once and gives the driver a fence deadline.
func TestStrictRunsNothingUntilLeased(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1.01, "c": 0.99})
	w.run(100 * time.Millisecond)
	if !w.nodes["a"].Partitioned() {
		t.Fatal("a node holds a lease before the voters' boot hold ended")
	}
	w.run(time.Second)
	if w.nodes["a"].Partitioned() {
		t.Fatal("no lease after the boot hold")
	}
	at := w.startOne("a", "x")
	if d := w.nodes[at].LeaseUntil(); d == NoLease || d <= w.mono(at) {
		t.Fatalf("fence deadline %d not in the future of %d", d, w.mono(at))
	}
}

// TestStrictIsolatedHolderFencesBeforeTakeover: the holder of a child is
// cut off (or paused); its child stops on its own clock before another node
// starts the child, and the child does run again elsewhere.
func TestStrictIsolatedHolderFencesBeforeTakeover(t *testing.T) {
	for _, pause := range []bool{false, true} {
		t.Run(fmt.Sprintf("pause=%v", pause), func(t *testing.T) {
			w := newStrictWorld(t, map[NodeID]float64{"a": 0.99, "b": 1.01, "c": 1})
			w.run(time.Second)
			w.start("a", "x", "y", "z")
			w.run(time.Second)
			at := w.where("x")
			if len(at) != 1 {
				t.Fatalf("x runs on %v", at)
			}
			h := at[0]
			if pause {
				w.paused[h] = true
			} else {
				w.isolate(h, true)
			}
			cutAt := w.now
			w.run(3 * time.Second) // the overlap check runs every tick
			got := w.where("x")
			if len(got) != 1 || got[0] == h {
				t.Fatalf("x runs on %v after its holder %s was cut off, want one other node", got, h)
			}
			// The price: failover waits out the lease (less the renewal
			// period the holder's last grant may predate the cut by).
			cfg := w.nodes[h].Config()
			for _, r := range w.runs {
				if r.id == "x" && r.node == got[0] && r.from > cutAt {
					if gap, min := r.from.Sub(cutAt), cfg.Partition.Lease-cfg.Timing.HeartbeatInterval; gap < min {
						t.Fatalf("x started elsewhere %v after its holder was cut off, before the lease (%v) could end", gap, min)
					}
				}
			}
			w.paused[h] = false
			w.isolate(h, false)
			w.run(2 * time.Second)
			if got := w.where("x"); len(got) != 1 {
				t.Fatalf("x runs on %v after the heal", got)
			}
		})
	}
}

// TestStrictNonTransitiveCutMovesNothing: with a–c cut and b hearing both,
// no majority confirms either side gone: the child stays where it runs.
func TestStrictNonTransitiveCutMovesNothing(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	w.start("a", "x", "y", "z", "u", "v")
	w.run(time.Second)
	ids := []ChildID{"x", "y", "z", "u", "v"}
	before := map[ChildID][]NodeID{}
	for _, id := range ids {
		before[id] = w.where(id)
	}
	w.cut[[2]NodeID{"a", "c"}] = true
	w.run(3 * time.Second)
	for _, id := range ids {
		if got := w.where(id); len(got) != 1 || len(before[id]) != 1 || got[0] != before[id][0] {
			t.Fatalf("%s ran on %v before the cut and on %v after it, want it to stay", id, before[id], got)
		}
	}
}

func TestStrictRefusesWithoutMajority(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	w.isolate("a", true)
	w.run(time.Second)
	n := w.nodes["a"]
	if !n.Partitioned() {
		t.Fatal("a minority node still holds a lease")
	}
	n.SetMono(w.mono("a"))
	n.Request(w.now, Request{ID: 9, Op: OpStart, Specs: []ChildSpec{{ID: "q"}}, Start: StartOptions{Await: true}})
	r := n.Ready()
	if len(r.Replies) != 1 || !errors.Is(r.Replies[0].Err, ErrPartitioned) {
		t.Fatalf("want ErrPartitioned, got %+v", r.Replies)
	}
}

func TestStrictChildLeaseUntil(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	at := w.startOne("a", "x")
	n := w.nodes[at]
	until, ok := n.ChildLeaseUntil("x")
	if !ok || until <= w.mono(at) || until < n.LeaseUntil() {
		t.Fatalf("ChildLeaseUntil(x) = %d, %v at mono %d (node deadline %d)", until, ok, w.mono(at), n.LeaseUntil())
	}
	if _, ok := n.ChildLeaseUntil("nope"); ok {
		t.Fatal("a lease for a child that does not run here")
	}
}
