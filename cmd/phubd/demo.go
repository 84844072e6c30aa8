package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/cmd/phubd/internal/cli"
	"github.com/phub/phub/cmd/phubd/internal/config"
	"github.com/phub/phub/cmd/phubd/internal/node"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
)

// demoCmd starts three nodes over real TCP on loopback in this process,
// places counter children, stops one node gracefully and shows where its
// children went, with their counts carried over by hot-swap handover.
func demoCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phubd demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	children := fs.Int("children", 12, "counter children to start")
	verbose := fs.Bool("v", false, "show the nodes' logs")
	if err := cli.Parse(fs, args, stderr); err != nil {
		return cli.Usage(stderr, "phubd demo", err)
	}
	if *children < 1 || *children > 10000 {
		fmt.Fprintln(stderr, "phubd demo: --children must be in 1..10000")
		return 2
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if err := demo(*children, stdout, log); err != nil {
		fmt.Fprintf(stderr, "phubd demo: %v\n", err)
		return 1
	}
	return 0
}

func demoConfig(name, secret string, seeds []string) config.Config {
	c := config.Defaults()
	c.Name = name
	c.Listen = "127.0.0.1:0"
	c.Seeds = seeds
	c.Secret = secret
	c.AdminAddr = ""
	c.Core.Name = core.NodeID(name)
	c.Core.HubID = "phub-demo"
	// Bounds, not delays: on an idle machine the handover and the leave
	// take milliseconds; the generous bounds keep a loaded machine (a GC
	// pause, a busy CI core) from suspecting a node or cutting a handover.
	c.Core.Migration = core.MigrationConfig{Kind: core.HotSwap, Handover: true, Retention: 15 * time.Second}
	c.Core.Timing = core.LocalTiming()
	c.Core.Timing.DownAfter = 5 * time.Second
	c.Core.Timing.RequestTimeout = 20 * time.Second
	return c
}

// demoBound bounds each wait of the demo (cluster forming, starting,
// leaving); an idle machine needs a fraction of a second for each.
const demoBound = 30 * time.Second

func demo(n int, out io.Writer, log *slog.Logger) error {
	began := time.Now()
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	secret := hex.EncodeToString(raw)
	names := []string{"node-a", "node-b", "node-c"}
	nodes := map[string]*node.Node{}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), demoBound)
		defer cancel()
		for _, name := range names {
			if nd := nodes[name]; nd != nil {
				nd.Close(ctx)
			}
		}
	}()
	var seed []string
	for _, name := range names {
		cfg := demoConfig(name, secret, seed)
		if err := cfg.Check(); err != nil {
			return err
		}
		nd, err := node.Start(cfg, log.With("node", name), nil)
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		nodes[name] = nd
		if seed == nil {
			seed = []string{nd.PeerAddr}
		}
		fmt.Fprintf(out, "started %s on %s\n", name, nd.PeerAddr)
	}
	if err := waitUntil(demoBound, func() bool {
		for _, nd := range nodes {
			if len(nd.Hub.Alive()) != len(names) {
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("cluster did not form: %w", err)
	}
	fmt.Fprintf(out, "cluster formed: %d nodes over TCP with an authenticated handshake (generated secret)\n\n", len(names))

	specs := make([]core.ChildSpec, n)
	for i := range specs {
		specs[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("counter-%02d", i)), Kind: kinds.CounterKind,
			Params: map[string]string{"interval_ms": "10"}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), demoBound)
	defer cancel()
	res, err := nodes["node-a"].Hub.StartChildren(ctx, specs, phub.Await(), phub.Timeout(demoBound))
	if err != nil {
		return fmt.Errorf("start children: %w", err)
	}
	if !res.OK() {
		return fmt.Errorf("start children: %v", res.Errors())
	}
	fmt.Fprintf(out, "started %d counter children (await): where each one runs\n", n)
	before := where(nodes)
	printWhere(out, specs, before, nil)

	time.Sleep(500 * time.Millisecond) // let the counters count
	victim := busiest(before, names)
	counts := map[core.ChildID]int64{}
	for id, w := range before {
		if w.node == victim {
			counts[id], _ = nodes[victim].Counters.Value(id)
		}
	}
	fmt.Fprintf(out, "\nstopping %s gracefully (hot swap: its %d children hand their counts over)...\n", victim, len(counts))
	t0 := time.Now()
	cctx, ccancel := context.WithTimeout(context.Background(), demoBound)
	err = nodes[victim].Close(cctx)
	ccancel()
	delete(nodes, victim)
	if err != nil {
		return fmt.Errorf("close %s: %w", victim, err)
	}
	var after map[core.ChildID]placed
	if err := waitUntil(demoBound, func() bool {
		after = where(nodes)
		return len(after) == n
	}); err != nil {
		return fmt.Errorf("children did not move off %s: %w", victim, err)
	}
	fmt.Fprintf(out, "%s left in %s; its children now run here:\n", victim, time.Since(t0).Round(time.Millisecond))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHILD\tFROM\tTO\tEPOCH\tCOUNT AT LEAVE\tRESUMED FROM\tHANDOVER")
	moved := make([]core.ChildID, 0, len(counts))
	for id := range counts {
		moved = append(moved, id)
	}
	sort.Slice(moved, func(i, j int) bool { return moved[i] < moved[j] })
	for _, id := range moved {
		w := after[id]
		info, _ := nodes[w.node].Counters.Info(id)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d -> %d\t%d\t%d\t%t\n", id, victim, w.node, before[id].epoch, w.epoch, counts[id], info.From, info.Handover)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nthe other children stayed where they were (consistent hashing moves only the leaver's share).\n")
	fmt.Fprintf(out, "demo finished in %s; shutting down\n", time.Since(began).Round(time.Millisecond))
	return nil
}

type placed struct {
	node  string
	epoch uint64
}

// where returns, per child, the node running it and its epoch.
func where(nodes map[string]*node.Node) map[core.ChildID]placed {
	out := map[core.ChildID]placed{}
	for name, nd := range nodes {
		for _, c := range nd.Hub.WhichChildrenLocal().Children {
			out[c.ID] = placed{name, c.Epoch}
		}
	}
	return out
}

func printWhere(out io.Writer, specs []core.ChildSpec, w map[core.ChildID]placed, _ any) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHILD\tNODE\tEPOCH")
	for _, s := range specs {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", s.ID, w[s.ID].node, w[s.ID].epoch)
	}
	tw.Flush()
}

func busiest(w map[core.ChildID]placed, names []string) string {
	per := map[string]int{}
	for _, p := range w {
		per[p.node]++
	}
	best := names[1]
	for _, n := range names[1:] { // keep node-a, the seed
		if per[n] > per[best] {
			best = n
		}
	}
	return best
}

func waitUntil(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}
