// Package scenarios runs phub's scenario files: readable scripts, one
// command per line, that drive a deterministic simulated cluster (package
// sim) and assert exact outcomes. A scenario is both a regression test and
// documentation of a behaviour; README.md describes the format.
//
// Parse turns a file into steps, checking commands, arguments, numbers,
// durations and node names up front; Run executes the steps. Every error
// names the file and line ("basic.txt:12: unknown command \"strat\"").
package scenarios

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/sim"
)

// KnownFailureMarker marks a scenario that fails because of a known core
// bug; the test runner skips such files and names the reason.
const KnownFailureMarker = "# KNOWN FAILURE:"

// Scenario is a parsed scenario file.
type Scenario struct {
	// File is the name used in messages (the base name of the file).
	File string
	// Seed is the simulation seed (config seed=N; default 1).
	Seed uint64
	// StartLatency is the simulator's child start latency bound
	// (config child_start_latency=D; default none).
	StartLatency time.Duration
	// KnownFailure is the text after KnownFailureMarker, if present.
	KnownFailure string
	// TraceTo, if set, receives the simulator's full trace.
	TraceTo io.Writer
	steps   []step
}

type step struct {
	line int
	cmd  string
	text string
	run  func(r *Runner) error
}

// Error is a parse, runtime or expectation error at one line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseFile reads and parses a scenario file.
func ParseFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Base(path), string(data))
}

// Parse parses a scenario's text; name is used in error messages.
func Parse(name, text string) (*Scenario, error) {
	p := &parser{sc: &Scenario{File: name, Seed: 1}, nodes: map[core.NodeID]bool{}}
	for i, raw := range strings.Split(text, "\n") {
		line := i + 1
		if k := strings.Index(raw, KnownFailureMarker); k >= 0 && p.sc.KnownFailure == "" {
			p.sc.KnownFailure = strings.TrimSpace(raw[k+len(KnownFailureMarker):])
		}
		body := stripComment(raw)
		toks := strings.Fields(body)
		if len(toks) == 0 {
			continue
		}
		p.line = line
		run, err := p.command(toks)
		if err != nil {
			return nil, &Error{File: name, Line: line, Msg: err.Error()}
		}
		p.sc.steps = append(p.sc.steps, step{line: line, cmd: toks[0], text: strings.Join(toks, " "), run: run})
	}
	return p.sc, nil
}

// stripComment removes a '#' comment: at the start of the line or after
// whitespace.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

type parser struct {
	sc        *Scenario
	line      int
	nodes     map[core.NodeID]bool // nodes added so far (statically known)
	autoNodes int                  // nodes named n1..nK by "nodes"
	started   bool                 // a node exists: config is closed
}

// args is a command's tokens split into positional arguments, key=value
// options and bare flags.
type args struct {
	cmd   string
	pos   []string
	opts  map[string]string
	keys  []string
	flags map[string]bool
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// split sorts tokens: "key=value" with an identifier key is an option, a
// token in flagNames is a flag, anything else is positional.
func split(cmd string, toks []string, flagNames ...string) (args, error) {
	a := args{cmd: cmd, opts: map[string]string{}, flags: map[string]bool{}}
	isFlag := map[string]bool{}
	for _, f := range flagNames {
		isFlag[f] = true
	}
	for _, t := range toks {
		if k, v, ok := strings.Cut(t, "="); ok && isIdent(k) {
			if _, dup := a.opts[k]; dup {
				return a, fmt.Errorf("%s: option %q given twice", cmd, k)
			}
			a.opts[k] = v
			a.keys = append(a.keys, k)
			continue
		}
		if isFlag[t] {
			a.flags[t] = true
			continue
		}
		a.pos = append(a.pos, t)
	}
	return a, nil
}

// allow rejects options not in keys.
func (a args) allow(keys ...string) error {
	ok := map[string]bool{}
	for _, k := range keys {
		ok[k] = true
	}
	for _, k := range a.keys {
		if !ok[k] {
			if len(keys) == 0 {
				return fmt.Errorf("%s: unexpected option %q", a.cmd, k+"="+a.opts[k])
			}
			return fmt.Errorf("%s: unknown option %q (want one of %s)", a.cmd, k, strings.Join(keys, ", "))
		}
	}
	return nil
}

func (a args) want(min, max int, usage string) error {
	if len(a.pos) < min {
		return fmt.Errorf("%s: missing arguments (usage: %s)", a.cmd, usage)
	}
	if max >= 0 && len(a.pos) > max {
		return fmt.Errorf("%s: unexpected argument %q (usage: %s)", a.cmd, a.pos[max], usage)
	}
	return nil
}

func parseInt(what, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad number %q for %s", s, what)
	}
	return n, nil
}

func parseCount(what, s string) (int, error) {
	n, err := parseInt(what, s)
	if err == nil && n < 0 {
		return 0, fmt.Errorf("bad number %q for %s: must be >= 0", s, what)
	}
	return n, err
}

func parseDur(what, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q for %s (want e.g. 300ms, 2s)", s, what)
	}
	return d, nil
}

func parseBool(what, s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("bad value %q for %s (want true or false)", s, what)
}

func oneOf(what, s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return fmt.Errorf("bad value %q for %s (want %s)", s, what, strings.Join(allowed, "|"))
}

// node checks that name is a node the scenario has added.
func (p *parser) node(name string) (core.NodeID, error) {
	if !p.nodes[core.NodeID(name)] {
		if len(p.nodes) == 0 {
			return "", fmt.Errorf("unknown node %q (no node added yet: use \"nodes N\" or \"add-node NAME\")", name)
		}
		return "", fmt.Errorf("unknown node %q (known: %s)", name, strings.Join(p.knownNodes(), ", "))
	}
	return core.NodeID(name), nil
}

func (p *parser) nodeList(s string) ([]core.NodeID, error) {
	var out []core.NodeID
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		n, err := p.node(part)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty node list %q", s)
	}
	return out, nil
}

func (p *parser) knownNodes() []string {
	var out []string
	for n := range p.nodes {
		out = append(out, string(n))
	}
	slices.Sort(out)
	return out
}

// ids parses "PREFIX COUNT" (exactly two arguments, the second a number:
// ids PREFIX1..PREFIXCOUNT) or a list of explicit ids.
func ids(pos []string) ([]core.ChildID, error) {
	if len(pos) == 2 {
		if n, err := strconv.Atoi(pos[1]); err == nil {
			if n < 0 {
				return nil, fmt.Errorf("bad number %q for count: must be >= 0", pos[1])
			}
			out := make([]core.ChildID, n)
			for i := range out {
				out[i] = core.ChildID(fmt.Sprintf("%s%d", pos[0], i+1))
			}
			return out, nil
		}
	}
	out := make([]core.ChildID, len(pos))
	for i, s := range pos {
		out[i] = core.ChildID(s)
	}
	return out, nil
}

// command parses one line into an executable step.
func (p *parser) command(toks []string) (func(*Runner) error, error) {
	name, rest := toks[0], toks[1:]
	switch name {
	case "config":
		return p.parseConfig(rest)
	case "nodes":
		return p.parseNodes(rest)
	case "add-node":
		return p.parseAddNode(rest)
	case "run":
		return p.parseRun(rest)
	case "start":
		return p.parseStart(rest)
	case "stop":
		return p.parseStop(rest)
	case "terminate":
		return p.parseTerminate(rest)
	case "redistribute":
		return p.parseRedistribute(rest)
	case "cordon", "uncordon":
		return p.parseCordon(name, rest)
	case "lookup":
		return p.parseLookup(rest)
	case "which-global":
		return p.parseWhichGlobal(rest)
	case "wait":
		return p.parseWait(rest)
	case "crash", "restart", "leave":
		return p.parseNodeFault(name, rest)
	case "partition":
		return p.parsePartition(rest)
	case "cut":
		return p.parseCut(rest)
	case "heal":
		return p.parseHeal(rest)
	case "net":
		return p.parseNet(rest)
	case "skew", "slow":
		return p.parseSkew(name, rest)
	case "crash-child":
		return p.parseCrashChild(rest)
	case "set-state":
		return p.parseSetState(rest)
	case "hooks":
		return p.parseHooks(rest)
	case "expect":
		return p.parseExpect(rest)
	}
	return nil, fmt.Errorf("unknown command %q", name)
}

// Runner executes a scenario against one simulation.
type Runner struct {
	sc       *Scenario
	sim      *sim.Sim
	cfg      []func(*core.Config)
	last     *lastRequest
	hookBase map[core.HookKind]int
	states   map[core.ChildID]setState
	trace    *traceTap
}

type lastRequest struct {
	line int
	id   uint64
	node core.NodeID
	req  core.Request
}

type setState struct {
	node  core.NodeID
	value string
}

// Run executes the scenario and returns the first failure.
func (sc *Scenario) Run() error {
	_, err := sc.RunTrace()
	return err
}

// RunTrace runs the scenario like Run and also returns the last lines of
// the simulator's trace (for failure reports).
func (sc *Scenario) RunTrace() (string, error) {
	r := &Runner{sc: sc, hookBase: map[core.HookKind]int{}, states: map[core.ChildID]setState{}, trace: newTraceTap(40)}
	r.trace.copyTo = sc.TraceTo
	for _, st := range sc.steps {
		if err := r.exec(st); err != nil {
			return r.trace.tail(), &Error{File: sc.File, Line: st.line, Msg: st.text + ": " + err.Error()}
		}
	}
	return r.trace.tail(), nil
}

// exec runs one step; a panic (in the runner, the simulator or core)
// becomes an error at the step's line.
func (r *Runner) exec(st step) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	switch st.cmd {
	case "config", "nodes", "add-node", "hooks":
	default:
		if r.sim == nil {
			return fmt.Errorf("no node was added yet")
		}
	}
	return st.run(r)
}

// ensureSim creates the simulation on the first node command.
func (r *Runner) ensureSim() {
	if r.sim != nil {
		return
	}
	cfg := slices.Clone(r.cfg)
	r.sim = sim.New(sim.Options{Seed: r.sc.Seed, Trace: r.trace, ChildStartLatency: r.sc.StartLatency, Configure: func(c *core.Config) {
		for _, f := range cfg {
			f(c)
		}
	}})
}

// runUntilReply runs the simulation in small steps until the last request
// has a reply or max passes.
func (r *Runner) runUntilReply(max time.Duration) error {
	end := r.sim.Now().Add(max)
	for r.sim.Now() < end {
		if _, ok := r.sim.Reply(r.last.id); ok {
			return nil
		}
		r.sim.RunFor(10 * time.Millisecond)
	}
	if _, ok := r.sim.Reply(r.last.id); ok {
		return nil
	}
	return fmt.Errorf("no reply within %s (request of line %d on %s)", max, r.last.line, r.last.node)
}

func (r *Runner) submit(line int, node core.NodeID, req core.Request) error {
	id, err := r.sim.Request(node, req)
	if err != nil {
		return err
	}
	r.last = &lastRequest{line: line, id: id, node: node, req: req}
	return nil
}

func (r *Runner) lastReply() (core.Reply, error) {
	if r.last == nil {
		return core.Reply{}, fmt.Errorf("no request was made before this line")
	}
	rep, ok := r.sim.Reply(r.last.id)
	if !ok {
		return rep, fmt.Errorf("the request of line %d has no reply (yet): use await, wait or run", r.last.line)
	}
	return rep, nil
}

// traceTap receives the simulator's trace: it counts redundancy signals
// and keeps the last lines for failure reports.
type traceTap struct {
	lines   []string
	next    int
	full    bool
	signals int
	copyTo  io.Writer
}

func newTraceTap(n int) *traceTap { return &traceTap{lines: make([]string, n)} }

func (t *traceTap) Write(p []byte) (int, error) {
	s := string(p)
	if t.copyTo != nil {
		t.copyTo.Write(p)
	}
	// "T effect NODE KIND ID #I eE": EffectSignal is kind 5.
	if strings.Contains(s, " effect ") {
		if f := strings.Fields(s); len(f) >= 4 && f[1] == "effect" && f[3] == strconv.Itoa(int(core.EffectSignal)) {
			t.signals++
		}
	}
	t.lines[t.next] = strings.TrimRight(s, "\n")
	t.next = (t.next + 1) % len(t.lines)
	if t.next == 0 {
		t.full = true
	}
	return len(p), nil
}

func (t *traceTap) tail() string {
	var out []string
	if t.full {
		out = append(out, t.lines[t.next:]...)
	}
	out = append(out, t.lines[:t.next]...)
	return strings.Join(out, "\n")
}
