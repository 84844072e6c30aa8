package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/sim"
)

// configKeys are the keys "config" accepts: seed (the simulation seed),
// child_start_latency (the simulator's sim.Options.ChildStartLatency: each
// child start takes up to that much longer, drawn from the seed) and
// every key of core's one key table (core.ConfigKeys), spelled as in
// phubd's config.
func configKeys() []string {
	keys := []string{"seed", "child_start_latency"}
	for _, k := range core.ConfigKeys() {
		keys = append(keys, k.Name)
	}
	return keys
}

func (p *parser) parseConfig(toks []string) (func(*Runner) error, error) {
	a, err := split("config", toks)
	if err != nil {
		return nil, err
	}
	if err := a.allow(configKeys()...); err != nil {
		return nil, err
	}
	if len(a.pos) > 0 {
		return nil, fmt.Errorf("config: want key=value, got %q", a.pos[0])
	}
	if len(a.keys) == 0 {
		return nil, fmt.Errorf("config: missing key=value settings")
	}
	if p.started {
		return nil, fmt.Errorf("config must come before the first node is added")
	}
	var fns []func(*core.Config)
	for _, k := range a.keys {
		v := a.opts[k]
		f, err := p.configSetting(k, v)
		if err != nil {
			return nil, fmt.Errorf("config: %v", err)
		}
		if f != nil {
			fns = append(fns, f)
		}
	}
	return func(r *Runner) error {
		r.cfg = append(r.cfg, fns...)
		return nil
	}, nil
}

func (p *parser) configSetting(k, v string) (func(*core.Config), error) {
	if k == "seed" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q for seed", v)
		}
		p.sc.Seed = n
		return nil, nil
	}
	if k == "child_start_latency" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bad duration %q for child_start_latency", v)
		}
		p.sc.StartLatency = d
		return nil, nil
	}
	key, ok := core.ConfigKeyByName(k)
	if !ok {
		return nil, fmt.Errorf("unknown key %q", k)
	}
	// Check the value now, so a bad one fails at its line.
	probe := core.DefaultConfig("probe")
	if err := key.Set(&probe, v); err != nil {
		return nil, fmt.Errorf("%s: %v", k, err)
	}
	return func(c *core.Config) { _ = key.Set(c, v) }, nil
}

func (p *parser) parseNodes(toks []string) (func(*Runner) error, error) {
	a, err := command("nodes", toks, nil, 1, 1, "nodes N")
	if err != nil {
		return nil, err
	}
	n, err := parseCount("nodes", a.pos[0])
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("nodes: want at least 1 node")
	}
	var names []core.NodeID
	for i := 0; i < n; i++ {
		p.autoNodes++
		name := core.NodeID(fmt.Sprintf("n%d", p.autoNodes))
		if p.nodes[name] {
			return nil, fmt.Errorf("nodes: node %s already exists", name)
		}
		p.nodes[name] = true
		names = append(names, name)
	}
	p.started = true
	return func(r *Runner) error {
		r.ensureSim()
		for _, name := range names {
			if err := r.sim.AddNode(name); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func (p *parser) parseAddNode(toks []string) (func(*Runner) error, error) {
	a, err := command("add-node", toks, nil, 1, 1, "add-node NAME")
	if err != nil {
		return nil, err
	}
	name := core.NodeID(a.pos[0])
	if !isIdent(string(name)) {
		return nil, fmt.Errorf("add-node: bad node name %q", name)
	}
	if p.nodes[name] {
		return nil, fmt.Errorf("add-node: node %s already exists", name)
	}
	p.nodes[name] = true
	p.started = true
	return func(r *Runner) error {
		r.ensureSim()
		return r.sim.AddNode(name)
	}, nil
}

func (p *parser) parseRun(toks []string) (func(*Runner) error, error) {
	a, err := command("run", toks, nil, 1, 1, "run DURATION")
	if err != nil {
		return nil, err
	}
	d, err := parseDur("run", a.pos[0])
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		if r.sim == nil {
			return fmt.Errorf("no node was added yet")
		}
		r.sim.RunFor(d)
		return nil
	}, nil
}

// awaitMode reads the await/awaitable flags of start and stop.
func awaitMode(a args) (await, block bool, err error) {
	if a.flags["await"] && a.flags["awaitable"] {
		return false, false, fmt.Errorf("%s: await and awaitable exclude each other", a.cmd)
	}
	return a.flags["await"] || a.flags["awaitable"], a.flags["await"], nil
}

// blockFor is how long an "await" runs the simulation at most.
func blockFor(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return timeout + 5*time.Second
}

func (p *parser) parseStart(toks []string) (func(*Runner) error, error) {
	const usage = "start NODE (PREFIX COUNT | ID...) [await|awaitable] [timeout=D] [skip-check] [rollback] [tag=T] [restart=P] [fail=start] [failing=ID,...] [map=NODE,...] [map-for=ID:NODE,...;...]"
	a, node, cids, err := p.childrenCommand("start", toks, []string{"await", "awaitable", "skip-check", "rollback"}, usage, "timeout", "tag", "restart", "fail", "failing", "map", "map-for")
	if err != nil {
		return nil, err
	}
	await, block, err := awaitMode(a)
	if err != nil {
		return nil, err
	}
	req := core.Request{Op: core.OpStart, Start: core.StartOptions{Await: await, SkipCheckExisting: a.flags["skip-check"]}}
	if a.flags["rollback"] {
		req.Start.OnFailure = core.Rollback
	}
	if v, ok := a.opts["timeout"]; ok {
		if req.Start.Timeout, err = parseDur("timeout", v); err != nil {
			return nil, err
		}
	}
	if v, ok := a.opts["tag"]; ok {
		req.Start.Metadata = core.Metadata{"tag": v}
	}
	restart := core.Permanent
	if v, ok := a.opts["restart"]; ok {
		if restart, err = core.ParseRestartPolicy(v); err != nil {
			return nil, fmt.Errorf("bad value %q for restart (want permanent|transient|temporary)", v)
		}
	}
	failAll := false
	if v, ok := a.opts["fail"]; ok {
		if err := oneOf("fail", v, "start"); err != nil {
			return nil, err
		}
		failAll = true
	}
	failing := map[core.ChildID]bool{}
	if v, ok := a.opts["failing"]; ok {
		for _, id := range strings.Split(v, ",") {
			failing[core.ChildID(id)] = true
		}
	}
	if v, ok := a.opts["map"]; ok {
		nodes, err := p.nodeListAllowRepeats(v)
		if err != nil {
			return nil, fmt.Errorf("map: %v", err)
		}
		req.Start.ChildMapping = map[core.ChildID][]core.NodeID{}
		for _, id := range cids {
			req.Start.ChildMapping[id] = nodes
		}
	}
	if v, ok := a.opts["map-for"]; ok {
		if req.Start.ChildMapping == nil {
			req.Start.ChildMapping = map[core.ChildID][]core.NodeID{}
		}
		for _, part := range strings.Split(v, ";") {
			id, nodesText, ok := strings.Cut(part, ":")
			if !ok || id == "" {
				return nil, fmt.Errorf("map-for: want ID:NODE,... got %q", part)
			}
			nodes, err := p.nodeListAllowRepeats(nodesText)
			if err != nil {
				return nil, fmt.Errorf("map-for: %v", err)
			}
			req.Start.ChildMapping[core.ChildID(id)] = nodes
		}
	}
	for _, id := range cids {
		spec := core.ChildSpec{ID: id, Restart: restart}
		if failAll || failing[id] {
			spec.Params = map[string]string{"fail": "start"}
		}
		req.Specs = append(req.Specs, spec)
	}
	return p.submit(node, req, block, req.Start.Timeout), nil
}

// nodeListAllowRepeats parses a node list for a guided mapping: names must
// be known, but repeats are kept (an invalid mapping is a valid test).
func (p *parser) nodeListAllowRepeats(s string) ([]core.NodeID, error) {
	var out []core.NodeID
	for _, part := range strings.Split(s, ",") {
		n, err := p.node(part)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (p *parser) parseStop(toks []string) (func(*Runner) error, error) {
	const usage = "stop NODE (PREFIX COUNT | ID...) [await|awaitable] [timeout=D]"
	a, node, cids, err := p.childrenCommand("stop", toks, []string{"await", "awaitable"}, usage, "timeout")
	if err != nil {
		return nil, err
	}
	await, block, err := awaitMode(a)
	if err != nil {
		return nil, err
	}
	req := core.Request{Op: core.OpStop, IDs: cids, Stop: core.StopOptions{Await: await}}
	if v, ok := a.opts["timeout"]; ok {
		if req.Stop.Timeout, err = parseDur("timeout", v); err != nil {
			return nil, err
		}
	}
	return p.submit(node, req, block, req.Stop.Timeout), nil
}

func (p *parser) parseTerminate(toks []string) (func(*Runner) error, error) {
	_, node, cids, err := p.childrenCommand("terminate", toks, nil, "terminate NODE (PREFIX COUNT | ID...)")
	if err != nil {
		return nil, err
	}
	// A terminate is owner-routed and always awaited (core's
	// requestTerminate): the script blocks until its reply.
	return p.submit(node, core.Request{Op: core.OpTerminate, IDs: cids}, true, 0), nil
}

func (p *parser) parseRedistribute(toks []string) (func(*Runner) error, error) {
	a, node, err := p.nodeCommand("redistribute", toks, nil, 3, -1, "redistribute NODE TARGET (PREFIX COUNT | ID...)")
	if err != nil {
		return nil, err
	}
	// The target may be any name: an unknown one is an error case to test.
	target := core.NodeID(a.pos[1])
	cids, err := ids(a.pos[2:])
	if err != nil {
		return nil, err
	}
	line := p.line
	return func(r *Runner) error {
		return r.submit(line, node, core.Request{Op: core.OpRedistribute, Target: target, IDs: cids})
	}, nil
}

func (p *parser) parseLookup(toks []string) (func(*Runner) error, error) {
	a, node, cids, err := p.childrenCommand("lookup", toks, []string{"owner"}, "lookup NODE ID... [owner] [timeout=D]", "timeout")
	if err != nil {
		return nil, err
	}
	req := core.Request{Op: core.OpLookup, IDs: cids}
	if a.flags["owner"] {
		req.Consistency = core.Owner
	}
	return p.awaited(a, node, req)
}

// awaited finishes a request command that waits for its reply: it reads
// the optional timeout= and returns the step that submits and waits.
func (p *parser) awaited(a args, node core.NodeID, req core.Request) (func(*Runner) error, error) {
	if v, ok := a.opts["timeout"]; ok {
		var err error
		if req.Timeout, err = parseDur("timeout", v); err != nil {
			return nil, err
		}
	}
	return p.submit(node, req, true, req.Timeout), nil
}

func (p *parser) parseWhichGlobal(toks []string) (func(*Runner) error, error) {
	a, node, err := p.nodeCommand("which-global", toks, nil, 1, 1, "which-global NODE [timeout=D]", "timeout")
	if err != nil {
		return nil, err
	}
	req := core.Request{Op: core.OpWhichGlobal}
	return p.awaited(a, node, req)
}

func (p *parser) parseWait(toks []string) (func(*Runner) error, error) {
	a, err := command("wait", toks, nil, 0, 0, "wait [max=D]", "max")
	if err != nil {
		return nil, err
	}
	max := 35 * time.Second
	if v, ok := a.opts["max"]; ok {
		if max, err = parseDur("max", v); err != nil {
			return nil, err
		}
	}
	return func(r *Runner) error {
		if r.last == nil {
			return fmt.Errorf("no request was made before this line")
		}
		return r.runUntilReply(max)
	}, nil
}

// submit returns the step that submits req at node and, if block, runs
// the simulation until its reply (at most blockFor(timeout)).
func (p *parser) submit(node core.NodeID, req core.Request, block bool, timeout time.Duration) func(*Runner) error {
	line := p.line
	return func(r *Runner) error {
		if err := r.submit(line, node, req); err != nil {
			return err
		}
		if block {
			return r.runUntilReply(blockFor(timeout))
		}
		return nil
	}
}

// childrenCommand is nodeCommand for a command "NAME NODE (PREFIX COUNT |
// ID...) ...": it also returns the child ids.
func (p *parser) childrenCommand(name string, toks []string, flags []string, usage string, opts ...string) (args, core.NodeID, []core.ChildID, error) {
	a, node, err := p.nodeCommand(name, toks, flags, 2, -1, usage, opts...)
	if err != nil {
		return a, "", nil, err
	}
	cids, err := ids(a.pos[1:])
	return a, node, cids, err
}

// nodeCommand is command for a command whose first argument is the node
// that acts (a known node name).
func (p *parser) nodeCommand(name string, toks []string, flags []string, lo, hi int, usage string, opts ...string) (args, core.NodeID, error) {
	a, err := command(name, toks, flags, lo, hi, usage, opts...)
	if err != nil {
		return a, "", err
	}
	node, err := p.node(a.pos[0])
	return a, node, err
}

// command splits a command's tokens (flags are its bare flags) and checks
// them: only the given key=value options, between lo and hi positional
// arguments (hi < 0: no limit; usage is the message for a wrong count).
func command(name string, toks []string, flags []string, lo, hi int, usage string, opts ...string) (args, error) {
	a, err := split(name, toks, flags...)
	if err != nil {
		return a, err
	}
	if err := a.allow(opts...); err != nil {
		return a, err
	}
	if err := a.want(lo, hi, usage); err != nil {
		return a, err
	}
	return a, nil
}

func (p *parser) parseNodeFault(name string, toks []string) (func(*Runner) error, error) {
	_, node, err := p.nodeCommand(name, toks, nil, 1, 1, name+" NODE")
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		switch name {
		case "crash":
			if !r.sim.Up(node) {
				return fmt.Errorf("node %s is not up", node)
			}
			r.sim.Crash(node)
		case "restart":
			return r.sim.Restart(node)
		case "leave":
			if !r.sim.Up(node) {
				return fmt.Errorf("node %s is not up", node)
			}
			r.sim.Leave(node)
		}
		return nil
	}, nil
}

func (p *parser) parsePartition(toks []string) (func(*Runner) error, error) {
	text := strings.Join(toks, "")
	parts := strings.Split(text, "|")
	if len(parts) < 2 {
		return nil, fmt.Errorf("partition: want at least two groups separated by | (usage: partition A,B | C)")
	}
	var groups [][]core.NodeID
	seen := map[core.NodeID]bool{}
	for _, part := range parts {
		g, err := p.nodeList(part)
		if err != nil {
			return nil, fmt.Errorf("partition: %v", err)
		}
		for _, n := range g {
			if seen[n] {
				return nil, fmt.Errorf("partition: node %s is in two groups", n)
			}
			seen[n] = true
		}
		groups = append(groups, g)
	}
	return func(r *Runner) error {
		r.sim.Partition(groups...)
		return nil
	}, nil
}

func (p *parser) parseCut(toks []string) (func(*Runner) error, error) {
	a, err := command("cut", toks, nil, 2, 2, "cut A B")
	if err != nil {
		return nil, err
	}
	x, err := p.node(a.pos[0])
	if err != nil {
		return nil, err
	}
	y, err := p.node(a.pos[1])
	if err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		r.sim.Cut(x, y)
		return nil
	}, nil
}

func (p *parser) parseHeal(toks []string) (func(*Runner) error, error) {
	if _, err := command("heal", toks, nil, 0, 0, "heal"); err != nil {
		return nil, err
	}
	return func(r *Runner) error {
		r.sim.Heal()
		return nil
	}, nil
}

func (p *parser) parseNet(toks []string) (func(*Runner) error, error) {
	a, err := command("net", toks, nil, 0, 0, "net loss=P dup=P reorder=P", "loss", "dup", "reorder")
	if err != nil {
		return nil, err
	}
	var n sim.NetConfig
	for _, k := range a.keys {
		f, err := strconv.ParseFloat(a.opts[k], 64)
		if err != nil || f < 0 || f > 1 {
			return nil, fmt.Errorf("bad probability %q for %s (want 0..1)", a.opts[k], k)
		}
		switch k {
		case "loss":
			n.Loss = f
		case "dup":
			n.Dup = f
		case "reorder":
			n.Reorder = f
		}
	}
	return func(r *Runner) error {
		r.sim.SetNet(n)
		return nil
	}, nil
}

func (p *parser) parseSkew(name string, toks []string) (func(*Runner) error, error) {
	a, node, err := p.nodeCommand(name, toks, nil, 2, 2, name+" NODE DURATION")
	if err != nil {
		return nil, err
	}
	d, err := parseDur(name, a.pos[1])
	if err != nil {
		return nil, err
	}
	if name == "slow" && d < 0 {
		return nil, fmt.Errorf("bad duration %q for slow: must be >= 0", a.pos[1])
	}
	return func(r *Runner) error {
		if name == "skew" {
			r.sim.SetSkew(node, d)
		} else {
			r.sim.SetSlow(node, d)
		}
		return nil
	}, nil
}

func (p *parser) parseCrashChild(toks []string) (func(*Runner) error, error) {
	a, err := split("crash-child", toks)
	if err != nil {
		return nil, err
	}
	if err := a.allow(); err != nil {
		return nil, err
	}
	if len(a.pos) == 1 && a.pos[0] == "all" {
		return func(r *Runner) error {
			crashed := 0
			for _, n := range r.sim.LiveNodes() {
				for _, c := range r.sim.Node(n).WhichChildrenLocal().Children {
					if r.sim.CrashChild(n, c.ID) {
						crashed++
					}
				}
			}
			if crashed == 0 {
				return fmt.Errorf("no child is running")
			}
			return nil
		}, nil
	}
	if err := a.want(2, 2, "crash-child NODE ID | crash-child all"); err != nil {
		return nil, err
	}
	node, err := p.node(a.pos[0])
	if err != nil {
		return nil, err
	}
	id := core.ChildID(a.pos[1])
	return func(r *Runner) error {
		if !r.sim.CrashChild(node, id) {
			return fmt.Errorf("child %s is not running on %s", id, node)
		}
		return nil
	}, nil
}

func (p *parser) parseSetState(toks []string) (func(*Runner) error, error) {
	a, node, err := p.nodeCommand("set-state", toks, nil, 3, 3, "set-state NODE (ID|all) VALUE")
	if err != nil {
		return nil, err
	}
	target, value := a.pos[1], a.pos[2]
	return func(r *Runner) error {
		var targets []core.ChildID
		if target == "all" {
			for _, c := range r.sim.Node(node).WhichChildrenLocal().Children {
				targets = append(targets, c.ID)
			}
			if len(targets) == 0 {
				return fmt.Errorf("no child runs on %s", node)
			}
		} else {
			targets = []core.ChildID{core.ChildID(target)}
		}
		for _, id := range targets {
			v := strings.ReplaceAll(value, "{id}", string(id))
			if !r.sim.SetChildState(node, id, []byte(v)) {
				return fmt.Errorf("child %s is not running on %s", id, node)
			}
			r.states[id] = setState{node: node, value: v}
		}
		return nil
	}, nil
}

func (p *parser) parseHooks(toks []string) (func(*Runner) error, error) {
	if len(toks) != 1 || toks[0] != "reset" {
		return nil, fmt.Errorf("hooks: want \"hooks reset\"")
	}
	return func(r *Runner) error {
		if r.sim == nil {
			return nil
		}
		for _, k := range core.AllHooks {
			r.hookBase[k] = r.sim.HookCount(k)
		}
		return nil
	}, nil
}
