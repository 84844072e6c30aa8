package core

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// testEnv is a tiny world of bare Nodes for the testdata files: a manual
// clock, messages held in flight until a command delivers them, links that
// can be cut, and child effects answered by hand (command child) or
// automatically (commands settle and run). Nothing happens unless a command
// says so.
type testEnv struct {
	base, now Instant
	names     []NodeID
	nodes     map[NodeID]*Node
	tune      func(*Config)
	inflight  []Envelope // Msg.From is set by the sender
	held      []Envelope // copies kept back by deliver keep
	cut       map[[2]NodeID]bool
	// open holds effects not yet answered, per node, in emission order.
	open  map[NodeID][]Effect
	reqID uint64
	// replied marks answered requests: every request gets exactly one reply.
	replied map[string]bool
	d       describer
	// out collects the lines of the current command.
	out []string
	f   filter
	// check, when set, runs after every input (invariants).
	check func(*Node) error
	// replies logs every reply per node, in order, for Go tests that
	// assert on them (the testdata files read the printed lines).
	replies map[NodeID][]Reply
}

func newTestEnv() *testEnv {
	base := Instant(1000 * time.Second)
	return &testEnv{base: base, now: base, nodes: map[NodeID]*Node{}, cut: map[[2]NodeID]bool{},
		open: map[NodeID][]Effect{}, replied: map[string]bool{}, d: describer{base: base}}
}

// addNode starts a node named name with incarnation inc, seeded with every
// node the env knows (and itself).
func (e *testEnv) addNode(name NodeID, inc uint64) error {
	cfg := DefaultConfig(name)
	cfg.Incarnation = inc
	cfg.RandSeed = 1
	cfg.CheckInvariants = true
	fastTiming(&cfg)
	known := false
	for _, k := range e.names {
		known = known || k == name
	}
	if !known {
		e.names = append(e.names, name)
		sort.Slice(e.names, func(i, j int) bool { return e.names[i] < e.names[j] })
	}
	cfg.Seeds = append([]NodeID(nil), e.names...)
	if e.tune != nil {
		e.tune(&cfg)
	}
	n, err := NewNode(cfg, e.now)
	if err != nil {
		return err
	}
	e.nodes[name] = n
	e.open[name] = nil
	e.drain(name)
	return nil
}

// alive lists the running nodes in name order.
func (e *testEnv) alive() []NodeID {
	var out []NodeID
	for _, name := range e.names {
		if e.nodes[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// drain collects a node's outputs: messages go in flight, effects wait
// for an answer, and everything the filter shows is printed.
func (e *testEnv) drain(name NodeID) {
	n := e.nodes[name]
	r := n.Ready()
	for i := range r.Messages {
		if env := &r.Messages[i]; env.Bytes != MessageBytes(&env.Msg) {
			e.out = append(e.out, fmt.Sprintf("%s BYTES %s to %s: Envelope.Bytes %d, MessageBytes %d", name, env.Msg.Kind, env.To, env.Bytes, MessageBytes(&env.Msg)))
		}
	}
	e.inflight = append(e.inflight, r.Messages...)
	e.open[name] = append(e.open[name], r.Effects...)
	e.out = append(e.out, e.d.ready(name, r, e.f)...)
	for _, rep := range r.Replies {
		key := fmt.Sprintf("%s#%d", name, rep.ID)
		if e.replied[key] {
			e.out = append(e.out, fmt.Sprintf("%s DUPLICATE REPLY #%d", name, rep.ID))
		}
		e.replied[key] = true
		if e.replies != nil {
			e.replies[name] = append(e.replies[name], rep)
		}
	}
	if e.check != nil {
		if err := e.check(n); err != nil {
			e.out = append(e.out, fmt.Sprintf("%s INVARIANT %v", name, err))
		}
	}
}

// tick advances the clock by d and ticks the given nodes.
func (e *testEnv) tick(d time.Duration, names []NodeID) {
	e.now = e.now.Add(d)
	for _, name := range names {
		if n := e.nodes[name]; n != nil {
			n.Tick(e.now)
			e.drain(name)
		}
	}
}

// match selects in-flight messages.
type match struct {
	from, to, kinds map[string]bool
}

func (m match) ok(env Envelope) bool {
	return (len(m.from) == 0 || m.from[string(env.Msg.From)]) &&
		(len(m.to) == 0 || m.to[string(env.To)]) &&
		(len(m.kinds) == 0 || m.kinds[env.Msg.Kind.String()])
}

// take removes and returns the in-flight messages m selects.
func (e *testEnv) take(m match) []Envelope {
	var took, kept []Envelope
	for _, env := range e.inflight {
		if m.ok(env) {
			took = append(took, env)
		} else {
			kept = append(kept, env)
		}
	}
	e.inflight = kept
	return took
}

// deliver steps each message at its receiver; messages to crashed nodes or
// over cut links are lost. It reports how many were delivered.
func (e *testEnv) deliver(envs []Envelope) int {
	n := 0
	for _, env := range envs {
		to := e.nodes[env.To]
		if to == nil || e.cut[[2]NodeID{env.Msg.From, env.To}] {
			continue
		}
		to.Step(e.now, env.Msg)
		e.drain(env.To)
		n++
	}
	return n
}

// answer reports the expected outcome of every open effect: a start
// starts, a stop exits normally, a handover request yields "state:<id>",
// a delivered handover is confirmed.
func (e *testEnv) answer() int {
	count := 0
	for _, name := range e.alive() {
		effs := e.open[name]
		e.open[name] = nil
		for _, ef := range effs {
			ev := ChildEvent{ID: ef.ID, Instance: ef.Instance}
			switch ef.Kind {
			case EffectStart:
				ev.Kind = ChildStarted
			case EffectStop:
				ev.Kind, ev.Reason = ChildExited, "normal"
			case EffectRequestHandover:
				ev.Kind, ev.State = ChildHandoverState, []byte("state:"+string(ef.ID))
			case EffectDeliverHandover:
				ev.Kind = ChildHandoverConfirmed
			default:
				continue
			}
			e.nodes[name].ChildEvent(e.now, ev)
			e.drain(name)
			count++
		}
	}
	return count
}

// settle delivers messages and answers effects, without moving the clock,
// until nothing is in flight or open (at most 1000 rounds).
func (e *testEnv) settle(auto bool) (int, error) {
	for round := 1; round <= 1000; round++ {
		moved := e.deliver(e.take(match{}))
		if auto {
			moved += e.answer()
		}
		if moved == 0 && len(e.inflight) == 0 {
			return round, nil
		}
	}
	return 0, fmt.Errorf("not settled after 1000 rounds (%d in flight)", len(e.inflight))
}

// run ticks every node each TickInterval for d, settling after each tick.
func (e *testEnv) run(d time.Duration, auto bool, until func() bool) (time.Duration, error) {
	step := e.tickInterval()
	for spent := time.Duration(0); spent < d; spent += step {
		if until != nil && until() {
			return spent, nil
		}
		e.tick(step, e.alive())
		if _, err := e.settle(auto); err != nil {
			return spent, err
		}
	}
	if until != nil && !until() {
		return d, fmt.Errorf("condition not reached within %s", d)
	}
	return d, nil
}

func (e *testEnv) tickInterval() time.Duration {
	for _, name := range e.alive() {
		return e.nodes[name].cfg.Timing.TickInterval
	}
	return 10 * time.Millisecond
}

// formed reports whether every running node is ready and sees them all.
func (e *testEnv) formed() bool {
	alive := e.alive()
	for _, name := range alive {
		n := e.nodes[name]
		if !n.ready() || len(n.View()) != len(alive) {
			return false
		}
	}
	return true
}

// state renders a node's view, registry, local children and tables.
func (e *testEnv) state(name NodeID) []string {
	n := e.nodes[name]
	if n == nil {
		return []string{fmt.Sprintf("%s crashed", name)}
	}
	out := []string{fmt.Sprintf("%s view=%s synced=%v partitioned=%v leaving=%v left=%v", name,
		e.d.value(reflect.ValueOf(n.View())), n.synced, n.quorum.partitioned, n.leaving, n.left)}
	for _, id := range n.reg.ids() {
		out = append(out, fmt.Sprintf("%s entry %s", name, e.d.value(reflect.ValueOf(*n.reg.view(id, n.members.view, n.members.incarnation)))))
	}
	for _, c := range n.WhichChildrenLocal().Children {
		out = append(out, fmt.Sprintf("%s local %s", name, e.d.value(reflect.ValueOf(c))))
	}
	out = append(out, fmt.Sprintf("%s tables pending=%d owner-ops=%d done=%d replicating=%d stash=%d dirty=%d",
		name, len(n.pending.reqs), len(n.repl.ops), len(n.repl.done), len(n.repl.replicating), len(n.migr.stash), len(n.dirtyIDs)))
	return out
}

// parseNodes parses "n1,n2" (or the values of a repeated argument).
func parseNodes(vals []string) []NodeID {
	var out []NodeID
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s != "" {
				out = append(out, NodeID(s))
			}
		}
	}
	return out
}

func parseUint(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }
