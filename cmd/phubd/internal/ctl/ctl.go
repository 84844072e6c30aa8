// Package ctl is phubd's command-line client of the admin API: one
// command per endpoint, printing JSON or a readable table.
package ctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phub/phub/cmd/phubd/internal/cli"
)

const usage = `usage: phubd ctl [--addr host:port] [--token T] [-o table|json] <command> [flags] [args]

commands:
  start [--kind K] [--param k=v]... [--restart P] [--await] [--timeout D] [--skip-check]
        [--rollback] [--meta k=v]... [--map id=n1,n2]... [--count N --prefix P] [-f body.json] [ID...]
  stop [--await] [--timeout D] ID...
  terminate ID
  redistribute --node N ID...
  get [--consistency local|owner] ID
  list [--tag T]
  which [--global] [--timeout D]
  members
  cordon NODE | uncordon NODE
  drain [--timeout D] [--interval D] NODE
  ring ID
  health [--live | --ready]   exit 0 when healthy (a probe: no token needed)
  metrics
  events [--since N] [--follow] [-n N]   the node's event stream (as the dashboard shows it)

--addr defaults to $PHUB_ADMIN_ADDR or 127.0.0.1:7080, --token to $PHUB_ADMIN_TOKEN.
Exit status: 0 on success, 1 when the API reports an error, 2 for bad usage.
`

// Client calls one node's admin API.
type Client struct {
	Addr  string
	Token string
	HTTP  *http.Client
}

// Do sends a request with an optional JSON body and returns the status
// and the body.
func (c *Client) Do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if raw, ok := body.([]byte); ok {
		rd = bytes.NewReader(raw)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	base := c.Addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(base, "/")+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, adminapi.MaxBodyBytes))
	return resp.StatusCode, b, err
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs "phubd ctl args..." and returns the exit status.
func Run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	addr, token, output := getenv("PHUB_ADMIN_ADDR"), getenv("PHUB_ADMIN_TOKEN"), "table"
	if addr == "" {
		addr = "127.0.0.1:7080"
	}
	global := func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "addr", addr, "admin API address (env PHUB_ADMIN_ADDR)")
		fs.StringVar(&token, "token", token, "admin API bearer token (env PHUB_ADMIN_TOKEN)")
		fs.StringVar(&output, "o", output, "output: table or json")
	}
	gfs := flag.NewFlagSet("phubd ctl", flag.ContinueOnError)
	gfs.Usage = func() { fmt.Fprint(stderr, usage) }
	global(gfs)
	if err := cli.Parse(gfs, args, stderr); err != nil {
		return cli.Usage(stderr, "phubd ctl", err)
	}
	if gfs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := gfs.Arg(0), gfs.Args()[1:]
	fs := flag.NewFlagSet("phubd ctl "+cmd, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	global(fs)
	c := &command{fs: fs, stdout: stdout, stderr: stderr}
	build, ok := commands[cmd]
	if !ok {
		return cli.Usage(stderr, "phubd ctl", fmt.Errorf("unknown command %q", cmd))
	}
	exec := build(c)
	// Flags may come before or after the positional arguments.
	var pos []string
	for {
		if err := cli.Parse(fs, rest, stderr); err != nil {
			return cli.Usage(stderr, "phubd ctl "+cmd, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if output != "table" && output != "json" {
		return cli.Usage(stderr, "phubd ctl", fmt.Errorf("-o: want table or json, got %q", output))
	}
	c.client = &Client{Addr: addr, Token: token, HTTP: &http.Client{Timeout: 15 * time.Minute}}
	c.json = output == "json"
	if err := exec(pos); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return cli.Usage(stderr, "phubd ctl "+cmd, err)
		}
		fmt.Fprintf(stderr, "phubd ctl %s: %v\n", cmd, err)
		return cli.ExitFailure
	}
	return 0
}

type command struct {
	// ends is set by stop and terminate: their results name the nodes
	// the child ran on and the epoch that ended.
	ends           bool
	fs             *flag.FlagSet
	client         *Client
	json           bool
	stdout, stderr io.Writer
}

// call performs the request, prints JSON output or decodes into out for
// a table, and turns an error status into an error.
func (c *command) call(method, path string, body, out any) error {
	status, b, err := c.client.Do(method, path, body)
	if err != nil {
		return err
	}
	if c.json {
		var buf bytes.Buffer
		if json.Indent(&buf, b, "", "  ") == nil {
			b = buf.Bytes()
		}
		c.stdout.Write(b)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			fmt.Fprintln(c.stdout)
		}
	}
	if status/100 != 2 {
		var e adminapi.ErrorResponse
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			if !c.json {
				if op, ok := out.(*adminapi.OpResponse); ok && json.Unmarshal(b, op) == nil && len(op.Results) > 0 {
					c.printOp(op)
				}
			}
			return fmt.Errorf("HTTP %d %s: %s", status, e.Code, e.Error)
		}
		return fmt.Errorf("HTTP %d: %s", status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if raw, ok := out.(*[]byte); ok {
			*raw = b
			return nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decoding the answer: %w", err)
		}
	}
	return nil
}

func (c *command) table() *tabwriter.Writer {
	return tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
}

var commands = map[string]func(c *command) func(args []string) error{
	"start":        startCmd,
	"stop":         stopCmd,
	"terminate":    terminateCmd,
	"redistribute": redistributeCmd,
	"get":          getCmd,
	"list":         listCmd,
	"which":        whichCmd,
	"members":      membersCmd,
	"ring":         ringCmd,
	"health":       healthCmd,
	"metrics":      metricsCmd,
	"cordon":       cordonCmd(true),
	"uncordon":     cordonCmd(false),
	"drain":        drainCmd,
	"events":       eventsCmd,
}

func kv(list []string, what string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, s := range list {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Sprintf("--%s %q: want key=value", what, s)}
		}
		m[k] = v
	}
	return m, nil
}

func startCmd(c *command) func([]string) error {
	kind := c.fs.String("kind", "counter", "child kind (counter, exec)")
	restart := c.fs.String("restart", "", "restart policy: permanent, transient, temporary")
	await := c.fs.Bool("await", false, "wait for a result per child")
	timeout := c.fs.String("timeout", "", "await timeout (e.g. 5s)")
	skip := c.fs.Bool("skip-check", false, "skip the already-started check")
	rollback := c.fs.Bool("rollback", false, "stop the started children if any failed (with --await)")
	count := c.fs.Int("count", 0, "start COUNT children named PREFIX0..PREFIX<COUNT-1>")
	prefix := c.fs.String("prefix", "child-", "id prefix for --count")
	file := c.fs.String("f", "", "send this JSON file as the request body (- for stdin)")
	var params, meta, mapping listFlag
	c.fs.Var(&params, "param", "child parameter key=value (repeatable)")
	c.fs.Var(&meta, "meta", "metadata key=value (repeatable; the key tag is indexed)")
	c.fs.Var(&mapping, "map", "guided mapping id=node1,node2 (repeatable)")
	return func(ids []string) error {
		var body any
		if *file != "" {
			var raw []byte
			var err error
			if *file == "-" {
				raw, err = io.ReadAll(os.Stdin)
			} else {
				raw, err = os.ReadFile(*file)
			}
			if err != nil {
				return err
			}
			body = raw
		} else {
			p, err := kv(params, "param")
			if err != nil {
				return err
			}
			m, err := kv(meta, "meta")
			if err != nil {
				return err
			}
			for i := 0; i < *count; i++ {
				ids = append(ids, fmt.Sprintf("%s%d", *prefix, i))
			}
			if len(ids) == 0 {
				return usageError{"no child ids (give IDs, --count or -f)"}
			}
			req := adminapi.StartRequest{Await: *await, Timeout: *timeout, SkipCheck: *skip, Rollback: *rollback, Metadata: m}
			for _, id := range ids {
				req.Specs = append(req.Specs, adminapi.Spec{ID: id, Kind: *kind, Params: p, Restart: *restart})
			}
			for _, s := range mapping {
				id, nodes, ok := strings.Cut(s, "=")
				if !ok {
					return usageError{fmt.Sprintf("--map %q: want id=node1,node2", s)}
				}
				if req.Mapping == nil {
					req.Mapping = map[string][]string{}
				}
				req.Mapping[id] = strings.Split(nodes, ",")
			}
			body = req
		}
		var out adminapi.OpResponse
		if err := c.call("POST", "/v1/children", body, &out); err != nil {
			return err
		}
		return c.op(&out)
	}
}

func (c *command) op(out *adminapi.OpResponse) error {
	if !c.json {
		c.printOp(out)
	}
	if !out.OK {
		return errors.New("some children failed")
	}
	return nil
}

func (c *command) printOp(out *adminapi.OpResponse) {
	if len(out.Results) == 0 {
		state := "ok"
		if out.Initiated {
			state = "initiated"
		}
		fmt.Fprintln(c.stdout, state)
		return
	}
	tw := c.table()
	if c.ends {
		fmt.Fprintln(tw, "ID\tWAS ON\tENDED EPOCH\tRESULT")
	} else {
		fmt.Fprintln(tw, "ID\tNODES\tEPOCH\tRESULT")
	}
	for _, r := range out.Results {
		res := "ok"
		if r.Error != "" {
			res = r.Error
		}
		nodes, epoch := strings.Join(r.Nodes, ","), fmt.Sprint(r.Epoch)
		if nodes == "" {
			nodes = "-"
		}
		if r.Epoch == 0 {
			epoch = "-" // no generation: the child was not found or never started
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, nodes, epoch, res)
	}
	tw.Flush()
	if out.RolledBack {
		fmt.Fprintln(c.stdout, "rolled back")
	}
}

func stopCmd(c *command) func([]string) error {
	await := c.fs.Bool("await", false, "wait for a result per child")
	timeout := c.fs.String("timeout", "", "await timeout (e.g. 5s)")
	c.ends = true
	return func(ids []string) error {
		if len(ids) == 0 {
			return usageError{"no child ids"}
		}
		var out adminapi.OpResponse
		if err := c.call("DELETE", "/v1/children", adminapi.StopRequest{IDs: ids, Await: *await, Timeout: *timeout}, &out); err != nil {
			return err
		}
		return c.op(&out)
	}
}

func one(ids []string) (string, error) {
	if len(ids) != 1 {
		return "", usageError{"want exactly one child id"}
	}
	return ids[0], nil
}

func terminateCmd(c *command) func([]string) error {
	c.ends = true
	return func(ids []string) error {
		id, err := one(ids)
		if err != nil {
			return err
		}
		var out adminapi.OpResponse
		if err := c.call("POST", "/v1/children/"+url.PathEscape(id)+"/terminate", nil, &out); err != nil {
			return err
		}
		return c.op(&out)
	}
}

func redistributeCmd(c *command) func([]string) error {
	node := c.fs.String("node", "", "target node")
	return func(ids []string) error {
		if len(ids) == 0 || *node == "" {
			return usageError{"want --node and at least one child id"}
		}
		var out adminapi.OpResponse
		if err := c.call("POST", "/v1/redistribute", adminapi.RedistributeRequest{IDs: ids, Node: *node}, &out); err != nil {
			return err
		}
		return c.op(&out)
	}
}

func getCmd(c *command) func([]string) error {
	cons := c.fs.String("consistency", "local", "local (this node's replica) or owner (read-your-writes)")
	return func(ids []string) error {
		id, err := one(ids)
		if err != nil {
			return err
		}
		var e adminapi.Entry
		if err := c.call("GET", "/v1/children/"+url.PathEscape(id)+"?consistency="+url.QueryEscape(*cons), nil, &e); err != nil {
			return err
		}
		if !c.json {
			c.printEntries([]adminapi.Entry{e})
		}
		return nil
	}
}

func (c *command) printEntries(es []adminapi.Entry) {
	tw := c.table()
	fmt.Fprintln(tw, "ID\tKIND\tEPOCH\tRUNNING ON\tMETADATA")
	for _, e := range es {
		var on []string
		for _, r := range e.Replicas {
			s := fmt.Sprintf("%s@%d", r.Node, r.Epoch)
			if !r.Active {
				s += "(passive)"
			}
			on = append(on, s)
		}
		var meta []string
		for k, v := range e.Metadata {
			meta = append(meta, k+"="+v)
		}
		sort.Strings(meta)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", e.ID, e.Kind, e.Epoch, strings.Join(on, ","), strings.Join(meta, ","))
	}
	tw.Flush()
}

func listCmd(c *command) func([]string) error {
	tag := c.fs.String("tag", "", "only children whose metadata tag is this")
	return func(args []string) error {
		if len(args) > 0 {
			return usageError{"no arguments expected"}
		}
		path := "/v1/children"
		if *tag != "" {
			path += "?tag=" + url.QueryEscape(*tag)
		}
		var out adminapi.ListResponse
		if err := c.call("GET", path, nil, &out); err != nil {
			return err
		}
		if !c.json {
			c.printEntries(out.Children)
			fmt.Fprintf(c.stdout, "%d children (registry of %s)\n", out.Count, out.Node)
		}
		return nil
	}
}

func whichCmd(c *command) func([]string) error {
	global := c.fs.Bool("global", false, "ask every node (default: this node only)")
	timeout := c.fs.String("timeout", "", "global query timeout (e.g. 2s)")
	return func(args []string) error {
		if len(args) > 0 {
			return usageError{"no arguments expected"}
		}
		q := url.Values{"scope": {"local"}}
		if *global {
			q.Set("scope", "global")
		}
		if *timeout != "" {
			q.Set("timeout", *timeout)
		}
		var out adminapi.WhichResponse
		if err := c.call("GET", "/v1/which?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		if !c.json {
			tw := c.table()
			fmt.Fprintln(tw, "NODE\tID\tKIND\tEPOCH\tINSTANCE\tSTATUS\tACTIVE")
			for _, n := range out.Nodes {
				for _, ch := range n.Children {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%t\n", n.Node, ch.ID, ch.Kind, ch.Epoch, ch.Instance, ch.Status, ch.Active)
				}
			}
			tw.Flush()
			for _, n := range out.Nodes {
				fmt.Fprintf(c.stdout, "%s: %d children\n", n.Node, len(n.Children))
			}
			if len(out.Unreachable) > 0 {
				fmt.Fprintf(c.stdout, "unreachable: %s\n", strings.Join(out.Unreachable, ", "))
			}
		}
		return nil
	}
}

func membersCmd(c *command) func([]string) error {
	return func(args []string) error {
		var out adminapi.MembersResponse
		if err := c.call("GET", "/v1/members", nil, &out); err != nil {
			return err
		}
		if !c.json {
			tw := c.table()
			fmt.Fprintln(tw, "NAME\tSTATUS\tINCARNATION\tADDR\tSELF")
			for _, m := range out.Members {
				self := ""
				if m.Self {
					self = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", m.Name, m.Status, m.Incarnation, m.Addr, self)
			}
			tw.Flush()
			for _, m := range out.Members {
				if m.Cordoned {
					fmt.Fprintf(c.stdout, "%s is CORDONED (takes no new children)\n", m.Name)
				}
			}
			if out.Partitioned {
				fmt.Fprintln(c.stdout, "this node is PARTITIONED (lost quorum)")
			}
		}
		return nil
	}
}

func ringCmd(c *command) func([]string) error {
	return func(ids []string) error {
		id, err := one(ids)
		if err != nil {
			return err
		}
		var out adminapi.RingResponse
		if err := c.call("GET", "/v1/ring?id="+url.QueryEscape(id), nil, &out); err != nil {
			return err
		}
		if !c.json {
			tw := c.table()
			fmt.Fprintf(tw, "child\t%s\n", out.ID)
			fmt.Fprintf(tw, "answered by\t%s (view: %s)\n", out.Node, strings.Join(out.View, ","))
			fmt.Fprintf(tw, "preference list\t%s\n", strings.Join(out.Preference, " > "))
			fmt.Fprintf(tw, "placement (factor %d)\t%s\n", out.Factor, strings.Join(out.Placement, ","))
			if len(out.Pinned) > 0 {
				fmt.Fprintf(tw, "pinned (guided)\t%s\n", strings.Join(out.Pinned, ","))
			}
			fmt.Fprintf(tw, "owner\t%s\n", out.Owner)
			if out.Registered {
				var on []string
				for _, r := range out.RunningOn {
					on = append(on, fmt.Sprintf("%s@%d", r.Node, r.Epoch))
				}
				fmt.Fprintf(tw, "running on\t%s\n", strings.Join(on, ","))
				fmt.Fprintf(tw, "epoch\t%d\n", out.Epoch)
				fmt.Fprintf(tw, "on placement\t%t\n", out.OnPlacement)
			} else {
				fmt.Fprintf(tw, "registered\tno\n")
			}
			tw.Flush()
		}
		return nil
	}
}

func healthCmd(c *command) func([]string) error {
	live := c.fs.Bool("live", false, "probe liveness (GET /v1/health/live): the event loop turns")
	ready := c.fs.Bool("ready", false, "probe readiness (GET /v1/health/ready): synced, quorum, not leaving")
	return func(args []string) error {
		if len(args) > 0 {
			return usageError{"no arguments expected"}
		}
		path := adminapi.PathHealth
		switch {
		case *live && *ready:
			return usageError{"--live and --ready exclude each other"}
		case *live:
			path = adminapi.PathHealthLive
		case *ready:
			path = adminapi.PathHealthReady
		}
		var out adminapi.HealthResponse
		status, b, err := c.client.Do("GET", path, nil)
		if err != nil {
			return err
		}
		if c.json {
			c.stdout.Write(b)
		} else if json.Unmarshal(b, &out) == nil {
			if out.Node == "" { // no token: the status word alone
				fmt.Fprintln(c.stdout, out.Status)
			} else {
				fmt.Fprintf(c.stdout, "%s: %s, %d alive members, %d local children\n", out.Node, out.Status, out.Alive, out.Children)
				if out.Reason != "" {
					fmt.Fprintln(c.stdout, out.Reason)
				}
			}
		}
		if status != http.StatusOK {
			return fmt.Errorf("HTTP %d", status)
		}
		return nil
	}
}

func metricsCmd(c *command) func([]string) error {
	return func(args []string) error {
		var raw []byte
		json := c.json
		c.json = false
		err := c.call("GET", "/metrics", nil, &raw)
		c.json = json
		if err != nil {
			return err
		}
		c.stdout.Write(raw)
		return nil
	}
}
