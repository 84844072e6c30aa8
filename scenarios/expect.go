package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
	"github.com/phub/phub/sim"
)

// parseExpect parses the assertion commands. Every expectation is exact
// unless it says otherwise with an explicit comparison (>=, <=, >, <).
func (p *parser) parseExpect(toks []string) (func(*Runner) error, error) {
	if len(toks) == 0 {
		return nil, fmt.Errorf("expect: missing what to expect (reply, results, registry, running, ...)")
	}
	what, rest := toks[0], toks[1:]
	switch what {
	case "reply":
		return p.expectReply(rest)
	case "results":
		return p.expectResults(rest)
	case "registry":
		return p.expectRegistry(rest)
	case "synced":
		return p.expectNoArgs("synced", rest, (*Runner).checkSynced)
	case "running":
		return p.expectRunning(rest)
	case "runs":
		return p.expectRuns(rest)
	case "placement":
		return p.expectNoArgs("placement", rest, (*Runner).checkPlacement)
	case "active-passive":
		if len(rest) == 1 && rest[0] == "registry" {
			return func(r *Runner) error { return r.checkActivePassive(true) }, nil
		}
		return p.expectNoArgs("active-passive", rest, func(r *Runner) error { return r.checkActivePassive(false) })
	case "signals":
		return p.expectSignals(rest)
	case "hooks":
		return p.expectHooks(rest)
	case "partitioned":
		return p.expectPartitioned(rest)
	case "cordoned":
		return p.expectCordoned(rest)
	case "members":
		return p.expectMembers(rest)
	case "state":
		return p.expectState(rest)
	case "state-follows":
		return p.expectStateFollows(rest)
	case "state-lost":
		return p.expectNoArgs("state-lost", rest, (*Runner).checkStateLost)
	case "singleton":
		return p.expectNoArgs("singleton", rest, (*Runner).checkSingleton)
	case "quiescent":
		return p.expectQuiescent(rest)
	case "lookup":
		return p.expectLookup(rest)
	case "global":
		return p.expectGlobal(rest)
	}
	return nil, fmt.Errorf("expect: unknown expectation %q", what)
}

func (p *parser) expectNoArgs(name string, toks []string, f func(*Runner) error) (func(*Runner) error, error) {
	if len(toks) > 0 {
		return nil, fmt.Errorf("expect %s: unexpected argument %q", name, toks[0])
	}
	return f, nil
}

// cmp is a comparison "OP N" with OP one of = == >= <= > <.
type cmp struct {
	op string
	n  int
}

func parseCmp(what string, op, num string) (cmp, error) {
	switch op {
	case "=", "==", ">=", "<=", ">", "<":
	default:
		return cmp{}, fmt.Errorf("bad comparison %q for %s (want = >= <= > <)", op, what)
	}
	n, err := parseInt(what, num)
	return cmp{op, n}, err
}

func (c cmp) holds(x int) bool {
	switch c.op {
	case ">=":
		return x >= c.n
	case "<=":
		return x <= c.n
	case ">":
		return x > c.n
	case "<":
		return x < c.n
	}
	return x == c.n
}

func (c cmp) String() string { return c.op + " " + fmt.Sprint(c.n) }

func (p *parser) expectReply(toks []string) (func(*Runner) error, error) {
	a, err := command("expect reply", toks, []string{"ok", "initiated", "none", "rolled-back"}, 0, 0, "expect reply ok|initiated|none|rolled-back|err=CODE", "err")
	if err != nil {
		return nil, err
	}
	if len(a.flags) == 0 && len(a.keys) == 0 {
		return nil, fmt.Errorf("expect reply: missing what to expect (ok, initiated, none, rolled-back, err=CODE)")
	}
	code, hasErr := a.opts["err"]
	return func(r *Runner) error {
		if r.last == nil {
			return fmt.Errorf("no request was made before this line")
		}
		rep, ok := r.sim.Reply(r.last.id)
		if a.flags["none"] {
			if ok {
				return fmt.Errorf("want no reply, got %s", describeReply(rep))
			}
			return nil
		}
		if !ok {
			return fmt.Errorf("the request of line %d has no reply (yet): use await, wait or run", r.last.line)
		}
		got := string(core.Code(rep.Err))
		if a.flags["ok"] && rep.Err != nil {
			return fmt.Errorf("want no error, got %s", describeReply(rep))
		}
		if a.flags["initiated"] && !rep.Initiated {
			return fmt.Errorf("want initiated, got %s", describeReply(rep))
		}
		if a.flags["rolled-back"] && !rep.RolledBack {
			return fmt.Errorf("want rolled back, got %s", describeReply(rep))
		}
		if hasErr && got != code {
			return fmt.Errorf("want err=%s, got %s", code, describeReply(rep))
		}
		return nil
	}, nil
}

func describeReply(rep core.Reply) string {
	var b strings.Builder
	fmt.Fprintf(&b, "reply(op=%s", rep.Op)
	if rep.Initiated {
		b.WriteString(" initiated")
	}
	if rep.Err != nil {
		fmt.Fprintf(&b, " err=%s (%v)", core.Code(rep.Err), rep.Err)
	}
	if rep.RolledBack {
		b.WriteString(" rolled-back")
	}
	fmt.Fprintf(&b, " results=%d", len(rep.Results))
	counts := map[string]int{}
	for _, res := range rep.Results {
		k := string(res.Err)
		if k == "" {
			k = "ok"
		}
		counts[k]++
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, counts[k])
	}
	b.WriteString(")")
	return b.String()
}

func (p *parser) expectResults(toks []string) (func(*Runner) error, error) {
	a, err := command("expect results", toks, nil, 0, 0, "expect results [ok=N] [err=CODE [count=N]] [total=N] [nodes=NODE,...|placement]", "ok", "err", "count", "total", "nodes")
	if err != nil {
		return nil, err
	}
	if len(a.keys) == 0 {
		return nil, fmt.Errorf("expect results: missing ok=N, err=CODE, total=N or nodes=NODE[,NODE]")
	}
	num := func(k string) (int, bool, error) {
		v, ok := a.opts[k]
		if !ok {
			return 0, false, nil
		}
		n, err := parseCount(k, v)
		return n, true, err
	}
	okN, hasOK, err := num("ok")
	if err != nil {
		return nil, err
	}
	total, hasTotal, err := num("total")
	if err != nil {
		return nil, err
	}
	count, hasCount, err := num("count")
	if err != nil {
		return nil, err
	}
	code, hasErr := a.opts["err"]
	if hasCount && !hasErr {
		return nil, fmt.Errorf("expect results: count=N needs err=CODE")
	}
	var wantNodes []core.NodeID
	nodesSpec, hasNodes := a.opts["nodes"]
	if hasNodes && nodesSpec != "placement" {
		if wantNodes, err = p.nodeList(nodesSpec); err != nil {
			return nil, err
		}
	}
	return func(r *Runner) error {
		rep, err := r.lastReply()
		if err != nil {
			return err
		}
		gotOK, gotErr := 0, 0
		for _, res := range rep.Results {
			if res.Err == "" {
				gotOK++
			}
			if hasErr && string(res.Err) == code {
				gotErr++
			}
		}
		if hasTotal && len(rep.Results) != total {
			return fmt.Errorf("want %d results, got %s", total, describeReply(rep))
		}
		if hasOK && gotOK != okN {
			return fmt.Errorf("want ok=%d, got %s", okN, describeReply(rep))
		}
		if hasErr {
			want := count
			if !hasCount {
				want = len(rep.Results)
				if want == 0 {
					return fmt.Errorf("want every result to be err=%s, got %s", code, describeReply(rep))
				}
			}
			if gotErr != want {
				return fmt.Errorf("want err=%s count=%d, got %s", code, want, describeReply(rep))
			}
		}
		if hasNodes {
			ref := r.sim.Node(r.last.node)
			for _, res := range rep.Results {
				if res.Err != "" {
					continue
				}
				want := wantNodes
				if nodesSpec == "placement" {
					want = ref.Placement(res.ID)
				}
				if !sameNodes(res.Nodes, want) {
					return fmt.Errorf("child %s: result nodes %v, want %v", res.ID, res.Nodes, want)
				}
			}
		}
		return nil
	}, nil
}

func sameNodes(a, b []core.NodeID) bool {
	x := slices.Clone(a)
	y := slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// nodesOrAll parses NODE or "all" (every live node at run time).
func (p *parser) nodesOrAll(s string) (func(r *Runner) []core.NodeID, error) {
	if s == "all" {
		return func(r *Runner) []core.NodeID { return r.sim.LiveNodes() }, nil
	}
	n, err := p.node(s)
	if err != nil {
		return nil, err
	}
	return func(*Runner) []core.NodeID { return []core.NodeID{n} }, nil
}

func (p *parser) expectRegistry(toks []string) (func(*Runner) error, error) {
	a, err := command("expect registry", toks, []string{"placement"}, 1, 1, "expect registry NODE|all count=N [replicas=K] [placement] [tag=T]", "count", "replicas", "tag")
	if err != nil {
		return nil, err
	}
	nodes, err := p.nodesOrAll(a.pos[0])
	if err != nil {
		return nil, err
	}
	v, ok := a.opts["count"]
	if !ok {
		return nil, fmt.Errorf("expect registry: missing count=N")
	}
	count, err := parseCount("count", v)
	if err != nil {
		return nil, err
	}
	replicas := -1
	if v, ok := a.opts["replicas"]; ok {
		if replicas, err = parseCount("replicas", v); err != nil {
			return nil, err
		}
	}
	tag, hasTag := a.opts["tag"]
	return func(r *Runner) error {
		ns := nodes(r)
		if len(ns) == 0 {
			return fmt.Errorf("no live node")
		}
		for _, n := range ns {
			if !r.sim.Up(n) {
				return fmt.Errorf("node %s is not up", n)
			}
			node := r.sim.Node(n)
			list := node.List()
			if len(list) != count {
				return fmt.Errorf("%s: registry has %d entries, want %d", n, len(list), count)
			}
			for _, e := range list {
				got := e.Nodes()
				if replicas >= 0 && len(got) != replicas {
					return fmt.Errorf("%s: child %s has %d replicas %v, want %d", n, e.Spec.ID, len(got), got, replicas)
				}
				if a.flags["placement"] {
					if want := node.Placement(e.Spec.ID); !sameNodes(got, want) {
						return fmt.Errorf("%s: child %s registered on %v, placement is %v", n, e.Spec.ID, got, want)
					}
				}
				if hasTag && e.Metadata["tag"] != tag {
					return fmt.Errorf("%s: child %s has tag %q, want %q", n, e.Spec.ID, e.Metadata["tag"], tag)
				}
			}
		}
		return nil
	}, nil
}

// checkSynced is ProcessHub's validate_sync: every live node's registry
// holds the same children with the same spec, nodes and metadata.
func (r *Runner) checkSynced() error {
	live := r.sim.LiveNodes()
	if len(live) == 0 {
		return fmt.Errorf("no live node")
	}
	render := func(n core.NodeID) []string {
		var out []string
		for _, e := range r.sim.Node(n).List() {
			out = append(out, fmt.Sprintf("%s spec=%v meta=%v nodes=%v", e.Spec.ID, e.Spec, e.Metadata, e.Nodes()))
		}
		return out
	}
	ref := render(live[0])
	for _, n := range live[1:] {
		got := render(n)
		if len(got) != len(ref) {
			return fmt.Errorf("%s has %d entries, %s has %d", n, len(got), live[0], len(ref))
		}
		for i := range got {
			if got[i] != ref[i] {
				return fmt.Errorf("registries differ: %s has %q, %s has %q", n, got[i], live[0], ref[i])
			}
		}
	}
	return nil
}

func (p *parser) expectRunning(toks []string) (func(*Runner) error, error) {
	a, err := command("expect running", toks, nil, 0, 1, "expect running [NODE] count=N", "count")
	if err != nil {
		return nil, err
	}
	v, ok := a.opts["count"]
	if !ok {
		return nil, fmt.Errorf("expect running: missing count=N")
	}
	count, err := parseCount("count", v)
	if err != nil {
		return nil, err
	}
	var node core.NodeID
	if len(a.pos) == 1 {
		if node, err = p.node(a.pos[0]); err != nil {
			return nil, err
		}
	}
	return func(r *Runner) error {
		got := 0
		if node != "" {
			got = r.sim.RunningCount(node)
		} else {
			for _, n := range r.sim.LiveNodes() {
				got += r.sim.RunningCount(n)
			}
		}
		if got != count {
			where := "the cluster"
			if node != "" {
				where = string(node)
			}
			return fmt.Errorf("%d instances run on %s, want %d", got, where, count)
		}
		return nil
	}, nil
}

func (p *parser) expectRuns(toks []string) (func(*Runner) error, error) {
	a, err := command("expect runs", toks, nil, 2, 2, "expect runs ID NODE,...|none")
	if err != nil {
		return nil, err
	}
	id := core.ChildID(a.pos[0])
	var want []core.NodeID
	if a.pos[1] != "none" {
		if want, err = p.nodeList(a.pos[1]); err != nil {
			return nil, err
		}
	}
	return func(r *Runner) error {
		if got := r.sim.Running(id); !sameNodes(got, want) {
			return fmt.Errorf("child %s runs on %v, want %v", id, got, want)
		}
		return nil
	}, nil
}

// running returns the nodes every child runs on now (from the truth).
func (r *Runner) running() map[string][]string {
	out := map[string][]string{}
	now := int64(r.sim.Now())
	for _, in := range r.sim.Instances() {
		if in.RunningAt(now) {
			out[in.Child] = append(out[in.Child], in.Node)
		}
	}
	return out
}

// checkPlacement: every registered child runs exactly on the placement
// of the first live node's view, and nothing else runs.
func (r *Runner) checkPlacement() error {
	live := r.sim.LiveNodes()
	if len(live) == 0 {
		return fmt.Errorf("no live node")
	}
	ref := r.sim.Node(live[0])
	run := r.running()
	bad := 0
	var first string
	for _, e := range ref.List() {
		id := e.Spec.ID
		got := r.sim.Running(id)
		want := ref.Placement(id)
		if !sameNodes(got, want) {
			if bad == 0 {
				first = fmt.Sprintf("child %s runs on %v, placement (view of %s) is %v", id, got, live[0], want)
			}
			bad++
		}
		delete(run, string(id))
	}
	for _, id := range sortedKeys(run) {
		if bad == 0 {
			first = fmt.Sprintf("child %s runs on %v but is not in %s's registry", id, run[id], live[0])
		}
		bad++
	}
	if bad > 0 {
		return fmt.Errorf("%d children misplaced; first: %s", bad, first)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// master is ProcessHub's replication master: the sum of the id's code
// points modulo the number of sorted placement nodes.
func master(id core.ChildID, nodes []core.NodeID) core.NodeID {
	s := slices.Clone(nodes)
	slices.Sort(s)
	sum := 0
	for _, c := range string(id) {
		sum += int(c)
	}
	return s[sum%len(s)]
}

// checkActivePassive: every registered child has exactly one active
// running instance, on its master node; the other replicas are passive.
// The children's own belief (their last signal) is checked unless
// registryOnly, and the first live node's registry flags always.
func (r *Runner) checkActivePassive(registryOnly bool) error {
	live := r.sim.LiveNodes()
	if len(live) == 0 {
		return fmt.Errorf("no live node")
	}
	ref := r.sim.Node(live[0])
	now := int64(r.sim.Now())
	byChild := map[string][]checks.Instance{}
	for _, in := range r.sim.Instances() {
		if in.RunningAt(now) {
			byChild[in.Child] = append(byChild[in.Child], in)
		}
	}
	for _, e := range ref.List() {
		id := e.Spec.ID
		want := master(id, ref.Placement(id))
		var active []string
		for _, in := range byChild[string(id)] {
			if in.Active {
				active = append(active, in.Node)
			}
		}
		if !registryOnly && (len(active) != 1 || active[0] != string(want)) {
			return fmt.Errorf("child %s: active replicas on %v, want only the master %s (running: %v)", id, active, want, byChild[string(id)])
		}
		for _, rep := range e.Replicas {
			if rep.Active != (rep.Node == want) {
				return fmt.Errorf("child %s: %s's registry says the replica on %s has active=%v, master is %s", id, live[0], rep.Node, rep.Active, want)
			}
		}
	}
	return nil
}

func (p *parser) expectSignals(toks []string) (func(*Runner) error, error) {
	if len(toks) != 2 {
		return nil, fmt.Errorf("expect signals: want \"expect signals OP N\" (e.g. >= 1000)")
	}
	c, err := parseCmp("signals", toks[0], toks[1])
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		if !c.holds(r.trace.signals) {
			return fmt.Errorf("%d redundancy signals were delivered, want %s", r.trace.signals, c)
		}
		return nil
	}, nil
}

func (p *parser) expectHooks(toks []string) (func(*Runner) error, error) {
	if len(toks) != 3 {
		return nil, fmt.Errorf("expect hooks: want \"expect hooks KIND OP N\" (e.g. registry_pid_insert = 6000)")
	}
	kind := core.HookKind(toks[0])
	if !slices.Contains(core.AllHooks, kind) {
		var names []string
		for _, k := range core.AllHooks {
			names = append(names, string(k))
		}
		return nil, fmt.Errorf("expect hooks: unknown hook %q (want one of %s)", kind, strings.Join(names, ", "))
	}
	c, err := parseCmp("hooks", toks[1], toks[2])
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		got := r.sim.HookCount(kind) - r.hookBase[kind]
		if !c.holds(got) {
			return fmt.Errorf("%s fired %d times (since the last \"hooks reset\"), want %s", kind, got, c)
		}
		return nil
	}, nil
}

func (p *parser) expectPartitioned(toks []string) (func(*Runner) error, error) {
	if len(toks) != 2 {
		return nil, fmt.Errorf("expect partitioned: want \"expect partitioned NODE|all true|false\"")
	}
	nodes, err := p.nodesOrAll(toks[0])
	if err != nil {
		return nil, err
	}
	want, err := parseBool("partitioned", toks[1])
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		for _, n := range nodes(r) {
			if !r.sim.Up(n) {
				return fmt.Errorf("node %s is not up", n)
			}
			if got := r.sim.Node(n).Partitioned(); got != want {
				return fmt.Errorf("%s: partitioned=%v, want %v (view %v)", n, got, want, r.sim.Node(n).View())
			}
		}
		return nil
	}, nil
}

func (p *parser) expectMembers(toks []string) (func(*Runner) error, error) {
	a, err := command("expect members", toks, nil, 1, 1, "expect members NODE|all count=N", "count")
	if err != nil {
		return nil, err
	}
	nodes, err := p.nodesOrAll(a.pos[0])
	if err != nil {
		return nil, err
	}
	v, ok := a.opts["count"]
	if !ok {
		return nil, fmt.Errorf("expect members: missing count=N")
	}
	count, err := parseCount("count", v)
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		for _, n := range nodes(r) {
			if !r.sim.Up(n) {
				return fmt.Errorf("node %s is not up", n)
			}
			if got := r.sim.Node(n).View(); len(got) != count {
				return fmt.Errorf("%s sees %d members %v, want %d", n, len(got), got, count)
			}
		}
		return nil
	}, nil
}

func (p *parser) expectState(toks []string) (func(*Runner) error, error) {
	if len(toks) != 3 {
		return nil, fmt.Errorf("expect state: want \"expect state NODE ID VALUE|none\"")
	}
	node, err := p.node(toks[0])
	if err != nil {
		return nil, err
	}
	id, want := core.ChildID(toks[1]), toks[2]
	return func(r *Runner) error {
		st, ok := r.sim.ChildState(node, id)
		if !ok {
			return fmt.Errorf("child %s is not running on %s (runs on %v)", id, node, r.sim.Running(id))
		}
		got := string(st)
		if want == "none" && len(st) == 0 {
			return nil
		}
		if got != want {
			return fmt.Errorf("child %s on %s has state %q, want %q", id, node, got, want)
		}
		return nil
	}, nil
}

// expectStateFollows: every child whose state a set-state recorded (or
// the given ids) runs on its owner with that state, wherever it moved.
func (p *parser) expectStateFollows(toks []string) (func(*Runner) error, error) {
	a, err := split("expect state-follows", toks)
	if err != nil {
		return nil, err
	}
	if err := a.allow("moved"); err != nil {
		return nil, err
	}
	moved := -1
	if v, ok := a.opts["moved"]; ok {
		if moved, err = parseCount("moved", v); err != nil {
			return nil, err
		}
	}
	only, err := ids(a.pos)
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		targets := only
		if len(targets) == 0 {
			for id := range r.states {
				targets = append(targets, id)
			}
			slices.Sort(targets)
		}
		if len(targets) == 0 {
			return fmt.Errorf("no state was set (use set-state)")
		}
		live := r.sim.LiveNodes()
		if len(live) == 0 {
			return fmt.Errorf("no live node")
		}
		ref := r.sim.Node(live[0])
		gotMoved, bad := 0, 0
		var first string
		fail := func(format string, args ...any) {
			if bad == 0 {
				first = fmt.Sprintf(format, args...)
			}
			bad++
		}
		for _, id := range targets {
			set, ok := r.states[id]
			if !ok {
				return fmt.Errorf("no state was set for %s", id)
			}
			pl := ref.Placement(id)
			if len(pl) == 0 {
				fail("child %s has no placement", id)
				continue
			}
			owner := pl[0]
			if owner != set.node {
				gotMoved++
			}
			st, ok := r.sim.ChildState(owner, id)
			if !ok {
				fail("child %s does not run on its owner %s (runs on %v)", id, owner, r.sim.Running(id))
				continue
			}
			if string(st) != set.value {
				fail("child %s (state set on %s, owner now %s) has state %q, want %q", id, set.node, owner, st, set.value)
			}
		}
		if bad > 0 {
			return fmt.Errorf("%d of %d children lost their state; first: %s", bad, len(targets), first)
		}
		if moved >= 0 && gotMoved != moved {
			return fmt.Errorf("%d children moved with their state, want %d", gotMoved, moved)
		}
		return nil
	}, nil
}

func (r *Runner) checkSingleton() error {
	t := r.sim.Truth()
	t.Factor = 1 // assert singularity whatever the config
	if vs := checks.Singularity(t); len(vs) > 0 {
		return violations(vs)
	}
	return nil
}

func violations(vs []checks.Violation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d violations:", len(vs))
	for i, v := range vs {
		if i == 5 {
			fmt.Fprintf(&b, "\n  ... %d more", len(vs)-5)
			break
		}
		fmt.Fprintf(&b, "\n  %s", v)
	}
	return fmt.Errorf("%s", b.String())
}

func (p *parser) expectQuiescent(toks []string) (func(*Runner) error, error) {
	a, err := command("expect quiescent", toks, []string{"durable", "convergent"}, 0, 0, "expect quiescent [durable|convergent]")
	if err != nil {
		return nil, err
	}
	g := sim.Guarantee{Linearizable: true, Durable: true, NoResurrectionEver: true}
	switch {
	case a.flags["durable"] && a.flags["convergent"]:
		return nil, fmt.Errorf("expect quiescent: durable and convergent exclude each other")
	case a.flags["durable"]:
		g = sim.Guarantee{Durable: true}
	case a.flags["convergent"]:
		g = sim.Guarantee{}
	}
	return func(r *Runner) error {
		if vs := r.sim.CheckQuiescent(g); len(vs) > 0 {
			return violations(vs)
		}
		if g.Linearizable {
			res := checks.CheckLinearizableHarness(r.sim.History())
			if res.Status != checks.LinOk {
				return fmt.Errorf("linearizability: %s", res.String())
			}
		}
		return nil
	}, nil
}

func (p *parser) expectLookup(toks []string) (func(*Runner) error, error) {
	a, err := command("expect lookup", toks, []string{"found", "not_found"}, 0, 0, "expect lookup found|not_found [nodes=NODE,...|placement] [replicas=N] [tag=T]", "nodes", "replicas", "tag")
	if err != nil {
		return nil, err
	}
	if a.flags["found"] == a.flags["not_found"] {
		return nil, fmt.Errorf("expect lookup: want exactly one of found, not_found")
	}
	nodesSpec, hasNodes := a.opts["nodes"]
	var wantNodes []core.NodeID
	if hasNodes && nodesSpec != "placement" {
		if wantNodes, err = p.nodeList(nodesSpec); err != nil {
			return nil, err
		}
	}
	replicas := -1
	if v, ok := a.opts["replicas"]; ok {
		if replicas, err = parseCount("replicas", v); err != nil {
			return nil, err
		}
	}
	tag, hasTag := a.opts["tag"]
	return func(r *Runner) error {
		rep, err := r.lastReply()
		if err != nil {
			return err
		}
		if r.last.req.Op != core.OpLookup {
			return fmt.Errorf("the last request (line %d) is not a lookup", r.last.line)
		}
		if rep.Err != nil {
			return fmt.Errorf("lookup failed: %s", describeReply(rep))
		}
		for _, res := range rep.Results {
			if a.flags["not_found"] {
				if res.Err != core.Code(core.ErrNotFound) {
					return fmt.Errorf("child %s: want not_found, got err=%q nodes=%v", res.ID, res.Err, res.Nodes)
				}
				continue
			}
			if res.Err != "" {
				return fmt.Errorf("child %s: want found, got err=%s %s", res.ID, res.Err, res.Detail)
			}
			if hasNodes {
				want := wantNodes
				if nodesSpec == "placement" {
					want = r.sim.Node(r.last.node).Placement(res.ID)
				}
				if !sameNodes(res.Nodes, want) {
					return fmt.Errorf("child %s: lookup nodes %v, want %v", res.ID, res.Nodes, want)
				}
			}
			if replicas >= 0 && len(res.Nodes) != replicas {
				return fmt.Errorf("child %s: %d replicas %v, want %d", res.ID, len(res.Nodes), res.Nodes, replicas)
			}
			if hasTag && res.Metadata["tag"] != tag {
				return fmt.Errorf("child %s: tag %q, want %q", res.ID, res.Metadata["tag"], tag)
			}
		}
		return nil
	}, nil
}

func (p *parser) expectGlobal(toks []string) (func(*Runner) error, error) {
	a, err := command("expect global", toks, nil, 0, 0, "expect global [nodes=N] [children=N] [unreachable=NODE,...|none]", "nodes", "children", "unreachable")
	if err != nil {
		return nil, err
	}
	if len(a.keys) == 0 {
		return nil, fmt.Errorf("expect global: missing nodes=N, children=N or unreachable=NODE[,NODE]")
	}
	nodes, children := -1, -1
	if v, ok := a.opts["nodes"]; ok {
		if nodes, err = parseCount("nodes", v); err != nil {
			return nil, err
		}
	}
	if v, ok := a.opts["children"]; ok {
		if children, err = parseCount("children", v); err != nil {
			return nil, err
		}
	}
	unreach, hasUnreach := a.opts["unreachable"]
	var wantUnreach []core.NodeID
	if hasUnreach && unreach != "none" {
		if wantUnreach, err = p.nodeList(unreach); err != nil {
			return nil, err
		}
	}
	return func(r *Runner) error {
		rep, err := r.lastReply()
		if err != nil {
			return err
		}
		if r.last.req.Op != core.OpWhichGlobal {
			return fmt.Errorf("the last request (line %d) is not which-global", r.last.line)
		}
		total := 0
		for _, nc := range rep.Global {
			total += len(nc.Children)
		}
		if nodes >= 0 && len(rep.Global) != nodes {
			return fmt.Errorf("which-global answered for %d nodes, want %d", len(rep.Global), nodes)
		}
		if children >= 0 && total != children {
			return fmt.Errorf("which-global lists %d children, want %d", total, children)
		}
		if hasUnreach && !sameNodes(rep.Unreachable, wantUnreach) {
			return fmt.Errorf("unreachable %v, want %v", rep.Unreachable, wantUnreach)
		}
		return nil
	}, nil
}

// checkStateLost (cold swap, hot swap without handover): every child
// whose state a set-state recorded and that moved to another owner runs
// there without that state; at least one child moved.
func (r *Runner) checkStateLost() error {
	live := r.sim.LiveNodes()
	if len(live) == 0 || len(r.states) == 0 {
		return fmt.Errorf("no live node or no state set")
	}
	ref := r.sim.Node(live[0])
	var targets []core.ChildID
	for id := range r.states {
		targets = append(targets, id)
	}
	slices.Sort(targets)
	moved := 0
	for _, id := range targets {
		set := r.states[id]
		owner := ref.Placement(id)[0]
		if owner == set.node {
			continue
		}
		moved++
		st, ok := r.sim.ChildState(owner, id)
		if !ok {
			return fmt.Errorf("child %s does not run on its owner %s (runs on %v)", id, owner, r.sim.Running(id))
		}
		if string(st) == set.value {
			return fmt.Errorf("child %s moved %s -> %s and kept its state %q", id, set.node, owner, st)
		}
	}
	if moved == 0 {
		return fmt.Errorf("no child moved")
	}
	return nil
}
