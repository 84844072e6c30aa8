package core

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// TestData runs core/testdata/*.txt: core's executable specification. Each
// file drives bare Nodes (testenv_test.go) with one protocol path and shows
// every message, effect, reply, registry change and hook they produce.
// After a deliberate protocol change, regenerate with
//
//	go test ./core -run TestData -rewrite
//
// and review the diff. Commands (arguments in brackets are optional):
//
//	cluster n=3 [KEY=VALUE...]  start n1..nN (unformed); KEY is any key of
//	                         ConfigKeys, as phubd and scenario files spell it
//	                         (replication_factor=2 migration=hot_swap
//	                         migration_handover=true tombstone_ttl=1m ...)
//	add node=n4 [inc=2]      start (or restart) a node, seeded with all nodes
//	crash node=n2            remove a node; messages to it are lost
//	form                     run until every node is synced and sees all
//	tick [d=10ms] [nodes=n1,n2]                advance the clock, tick nodes
//	deliver [from=..] [to=..] [kinds=..] [drop] [dup] [keep]
//	                         deliver (or drop, or deliver twice) the
//	                         matching in-flight messages, in order; keep
//	                         holds a copy back until release
//	release                  put held copies in flight again (late duplicates)
//	settle [noauto]          deliver and answer child effects until quiet
//	run d=1s [noauto]        tick every TickInterval for d, settling
//	request node=n1 op=start|stop|terminate|lookup|which|redistribute|cordon|uncordon
//	        ids=a,b [await] [timeout=1s] [owner] [target=n2]
//	        [pin=n2,n3]      (guided: every child of the start mapped to these nodes)
//	child node=n1 id=a event=started|failed|crashed|exited|state|confirmed
//	leave node=n1            start a graceful leave
//	cut from=n1 to=n2,n3 [both]  / heal    lose messages on links
//	state [nodes=n1]         view, registry, local children, tables
//	inflight                 list messages in flight
//
// Every command takes show=(msgs,effects,replies,changes,hooks|all) and
// hide=(heartbeat,...) to pick what it prints; tick, deliver, request,
// child and leave print all but heartbeats by default, settle and run print
// replies, effects and hooks, form replies and effects.
func TestData(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata files: %v", err)
	}
	for _, path := range files { // not datadriven.Walk: rapid leaves failure files under testdata/rapid
		path := path
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := newTestEnv()
			e.check = (*Node).CheckInvariants
			datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
				out, err := e.exec(d)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				if out == "" {
					return "ok\n"
				}
				return out
			})
		})
	}
}

// args is a command's arguments by key.
type args map[string][]string

func (a args) str(k, def string) string {
	if v, ok := a[k]; ok && len(v) > 0 {
		return v[0]
	}
	return def
}

func (a args) has(k string) bool { _, ok := a[k]; return ok }

func (a args) dur(k string, def time.Duration) (time.Duration, error) {
	if !a.has(k) {
		return def, nil
	}
	d, err := time.ParseDuration(a.str(k, ""))
	if err != nil {
		return 0, fmt.Errorf("argument %s: %w", k, err)
	}
	return d, nil
}

func (a args) int(k string, def int) (int, error) {
	if !a.has(k) {
		return def, nil
	}
	var v int
	if _, err := fmt.Sscan(a.str(k, ""), &v); err != nil {
		return 0, fmt.Errorf("argument %s: %w", k, err)
	}
	return v, nil
}

var commandArgs = map[string][]string{
	"cluster":  {"n"}, // and every ConfigKeys name
	"add":      {"node", "inc"},
	"crash":    {"node"},
	"form":     {},
	"tick":     {"d", "nodes"},
	"deliver":  {"from", "to", "kinds", "drop", "dup", "keep"},
	"release":  {},
	"settle":   {"noauto"},
	"run":      {"d", "noauto"},
	"request":  {"node", "op", "ids", "await", "timeout", "owner", "target", "kind", "restart", "pin"},
	"child":    {"node", "id", "event", "inst"},
	"leave":    {"node"},
	"cut":      {"from", "to", "both"},
	"heal":     {},
	"state":    {"nodes"},
	"inflight": {},
}

// exec runs one command and returns what it printed.
func (e *testEnv) exec(d *datadriven.TestData) (string, error) {
	known, ok := commandArgs[d.Cmd]
	if !ok {
		return "", fmt.Errorf("unknown command %q", d.Cmd)
	}
	a := args{}
	for _, c := range d.CmdArgs {
		valid := c.Key == "show" || c.Key == "hide"
		if _, isKey := ConfigKeyByName(c.Key); isKey && d.Cmd == "cluster" {
			valid = true
		}
		for _, k := range known {
			valid = valid || k == c.Key
		}
		if !valid {
			return "", fmt.Errorf("%s: unknown argument %q", d.Cmd, c.Key)
		}
		a[c.Key] = c.Vals
	}
	quiet := d.Cmd == "settle" || d.Cmd == "run" || d.Cmd == "form"
	show := []string{"all"}
	if quiet {
		show = []string{"effects", "replies", "hooks"}
	}
	if d.Cmd == "form" {
		show = []string{"effects", "replies"}
	}
	if a.has("show") {
		show = parseList(a["show"])
	}
	hide := []string{"heartbeat"}
	if a.has("hide") {
		hide = parseList(a["hide"])
	}
	e.f = newFilter(show, hide)
	e.out = nil
	if err := e.command(d.Cmd, a); err != nil {
		return "", err
	}
	if len(e.out) == 0 {
		return "", nil
	}
	return strings.Join(e.out, "\n") + "\n", nil
}

func parseList(vals []string) []string {
	var out []string
	for _, n := range parseNodes(vals) {
		out = append(out, string(n))
	}
	return out
}

func (e *testEnv) command(cmd string, a args) error {
	switch cmd {
	case "cluster":
		return e.cmdCluster(a)
	case "add":
		inc, err := parseUint(a.str("inc", "1"))
		if err != nil {
			return fmt.Errorf("add: inc: %w", err)
		}
		return e.addNode(NodeID(a.str("node", "")), inc)
	case "crash":
		name := NodeID(a.str("node", ""))
		if e.nodes[name] == nil {
			return fmt.Errorf("crash: no running node %q", name)
		}
		e.nodes[name] = nil
		e.open[name] = nil
		return nil
	case "form":
		spent, err := e.run(time.Minute, true, e.formed)
		e.out = append(e.out, fmt.Sprintf("formed after %s", spent))
		return err
	case "tick":
		step, err := a.dur("d", e.tickInterval())
		if err != nil {
			return err
		}
		names := e.alive()
		if a.has("nodes") {
			names = parseNodes(a["nodes"])
		}
		e.tick(step, names)
		return nil
	case "deliver":
		m := match{from: set(a["from"]), to: set(a["to"]), kinds: set(a["kinds"])}
		envs := e.take(m)
		if a.has("drop") {
			for _, env := range envs {
				e.out = append(e.out, "dropped "+e.d.envelope(env.Msg.From, env))
			}
			return nil
		}
		if a.has("dup") {
			envs = append(envs, envs...)
		}
		if a.has("keep") {
			e.held = append(e.held, envs...)
		}
		e.deliver(envs)
		return nil
	case "settle":
		rounds, err := e.settle(!a.has("noauto"))
		if err == nil && rounds > 1 {
			e.out = append(e.out, fmt.Sprintf("settled in %d rounds", rounds))
		}
		return err
	case "run":
		dur, err := a.dur("d", time.Second)
		if err != nil {
			return err
		}
		_, err = e.run(dur, !a.has("noauto"), nil)
		return err
	case "request":
		return e.cmdRequest(a)
	case "child":
		return e.cmdChild(a)
	case "leave":
		name := NodeID(a.str("node", ""))
		if e.nodes[name] == nil {
			return fmt.Errorf("leave: no running node %q", name)
		}
		e.nodes[name].Leave(e.now)
		e.drain(name)
		return nil
	case "cut":
		for _, from := range parseNodes(a["from"]) {
			for _, to := range parseNodes(a["to"]) {
				e.cut[[2]NodeID{from, to}] = true
				if a.has("both") {
					e.cut[[2]NodeID{to, from}] = true
				}
			}
		}
		return nil
	case "release":
		e.inflight = append(e.inflight, e.held...)
		e.held = nil
		return nil
	case "heal":
		e.cut = map[[2]NodeID]bool{}
		return nil
	case "state":
		names := e.names
		if a.has("nodes") {
			names = parseNodes(a["nodes"])
		}
		for _, name := range names {
			e.out = append(e.out, e.state(name)...)
		}
		return nil
	case "inflight":
		for _, env := range e.inflight {
			e.out = append(e.out, e.d.envelope(env.Msg.From, env))
		}
		return nil
	}
	return fmt.Errorf("command %q has no handler", cmd)
}

func set(vals []string) map[string]bool {
	out := map[string]bool{}
	for _, v := range parseList(vals) {
		out[v] = true
	}
	return out
}

func (e *testEnv) cmdCluster(a args) error {
	if len(e.names) > 0 {
		return fmt.Errorf("cluster: already started")
	}
	n, err := a.int("n", 3)
	if err != nil {
		return err
	}
	var settings []func(*Config)
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		key, ok := ConfigKeyByName(k)
		if !ok {
			continue // n, show, hide
		}
		v := a.str(k, "")
		if err := key.Set(&Config{}, v); err != nil {
			return fmt.Errorf("cluster: %s: %v", k, err)
		}
		settings = append(settings, func(c *Config) { _ = key.Set(c, v) })
	}
	e.tune = func(c *Config) {
		for _, set := range settings {
			set(c)
		}
	}
	for i := 1; i <= n; i++ {
		e.names = append(e.names, NodeID(fmt.Sprintf("n%d", i)))
	}
	for _, name := range e.names {
		if err := e.addNode(name, 1); err != nil {
			return err
		}
	}
	return nil
}

func (e *testEnv) cmdRequest(a args) error {
	name := NodeID(a.str("node", ""))
	n := e.nodes[name]
	if n == nil {
		return fmt.Errorf("request: no running node %q", name)
	}
	e.reqID++
	r := Request{ID: e.reqID, Target: NodeID(a.str("target", ""))}
	timeout, err := a.dur("timeout", 0)
	if err != nil {
		return err
	}
	ids := parseList(a["ids"])
	switch op := a.str("op", ""); op {
	case "start":
		r.Op = OpStart
		restart, err := ParseRestartPolicy(a.str("restart", ""))
		if err != nil {
			return err
		}
		for _, id := range ids {
			r.Specs = append(r.Specs, ChildSpec{ID: ChildID(id), Kind: a.str("kind", ""), Restart: restart})
		}
		r.Start = StartOptions{Await: a.has("await"), Timeout: timeout}
		if a.has("pin") {
			r.Start.ChildMapping = map[ChildID][]NodeID{}
			for _, id := range ids {
				r.Start.ChildMapping[ChildID(id)] = parseNodes(a["pin"])
			}
		}
	case "stop":
		r.Op = OpStop
		r.Stop = StopOptions{Await: a.has("await"), Timeout: timeout}
	case "terminate":
		r.Op = OpTerminate
	case "lookup":
		r.Op, r.Timeout = OpLookup, timeout
		if a.has("owner") {
			r.Consistency = Owner
		}
	case "which":
		r.Op, r.Timeout = OpWhichGlobal, timeout
	case "cordon":
		r.Op = OpCordon
	case "uncordon":
		r.Op = OpUncordon
	case "redistribute":
		r.Op = OpRedistribute
		for _, id := range ids {
			r.Specs = append(r.Specs, ChildSpec{ID: ChildID(id)})
		}
	default:
		return fmt.Errorf("request: unknown op %q", op)
	}
	if r.Op != OpStart && r.Op != OpRedistribute {
		for _, id := range ids {
			r.IDs = append(r.IDs, ChildID(id))
		}
	}
	n.Request(e.now, r)
	e.drain(name)
	return nil
}

func (e *testEnv) cmdChild(a args) error {
	name := NodeID(a.str("node", ""))
	n := e.nodes[name]
	if n == nil {
		return fmt.Errorf("child: no running node %q", name)
	}
	id := ChildID(a.str("id", ""))
	inst := uint64(0)
	if c := n.local[id]; c != nil {
		inst = c.instance
	}
	if a.has("inst") {
		v, err := parseUint(a.str("inst", ""))
		if err != nil {
			return fmt.Errorf("child: inst: %w", err)
		}
		inst = v
	}
	ev := ChildEvent{ID: id, Instance: inst}
	switch ev2 := a.str("event", ""); ev2 {
	case "started":
		ev.Kind = ChildStarted
	case "failed":
		ev.Kind, ev.Reason = ChildStartFailed, "boom"
	case "crashed":
		ev.Kind, ev.Abnormal, ev.Reason = ChildExited, true, "crash"
	case "exited":
		ev.Kind, ev.Reason = ChildExited, "normal"
	case "state":
		ev.Kind, ev.State = ChildHandoverState, []byte("state:"+string(id))
	case "confirmed":
		ev.Kind = ChildHandoverConfirmed
	default:
		return fmt.Errorf("child: unknown event %q", ev2)
	}
	// The answered effect is no longer open.
	var kept []Effect
	for _, ef := range e.open[name] {
		if ef.ID != id {
			kept = append(kept, ef)
		}
	}
	e.open[name] = kept
	n.ChildEvent(e.now, ev)
	e.drain(name)
	return nil
}
