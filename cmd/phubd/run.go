package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/phub/phub/cmd/phubd/internal/cli"
	"github.com/phub/phub/cmd/phubd/internal/config"
	"github.com/phub/phub/cmd/phubd/internal/datadir"
	"github.com/phub/phub/cmd/phubd/internal/node"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/store"
)

// reapTimeout bounds how long a booting node waits for the process groups
// a previous incarnation left behind to die.
const reapTimeout = 10 * time.Second

// runCmd runs one node until SIGTERM or SIGINT, then leaves the cluster
// gracefully (children are handed over when migration is hot_swap with
// handover) within shutdown_timeout. Before the node joins, it locks its
// data directory and kills what a previous incarnation left running.
// Exit status: 0 after a complete leave (whatever happened to the
// children: the log says), 1 if the leave timed out or the node failed to
// start (data directory in use, leftovers that could not be killed, ...),
// 2 for a bad configuration. A node whose name another live node of the
// cluster uses is refused by its peers and exits 1 (phub.ErrNameInUse).
func runCmd(args []string, stderr io.Writer) int {
	cfg, err := config.Load(args, os.Environ(), stderr)
	if err != nil {
		return cli.Usage(stderr, "phubd run", err)
	}
	log := cfg.Logger(os.Stderr)
	coreFaults, withoutGuard := splitNodeFaults(os.Getenv(testBrokenEnv))
	if err := injectTestFaults(&cfg.Core, coreFaults, log); err != nil {
		return cli.Usage(stderr, "phubd run", err)
	}
	if withoutGuard {
		log.Warn("phubd: test-only fault injected: strict mode runs without its fence guard", "env", testBrokenEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	dd, err := openDataDir(cfg, log)
	if err != nil {
		log.Error("phubd: start failed", "err", err)
		return 1
	}
	defer dd.Close()
	opts := []node.Option{node.WithJournal(dd), node.WithLeaseFile(filepath.Join(dd.Path(), "lease"))}
	if cfg.Durable {
		st, err := store.Open(dd.StatePath())
		if err != nil {
			log.Error("phubd: start failed", "err", err)
			return 1
		}
		opts = append(opts, node.WithStore(st))
	} else {
		log.Warn("phubd: durable = false: the registry is kept in memory only; children are forgotten if every node stops at once")
	}
	if withoutGuard {
		opts = append(opts, node.WithoutFenceGuard())
	}
	n, err := node.Start(cfg, log, nil, opts...)
	if err != nil {
		log.Error("phubd: start failed", "err", err)
		return 1
	}
	log.Info("phubd running", "name", cfg.Name, "hub", cfg.Core.HubID, "peer_addr", n.PeerAddr,
		"admin_addr", n.AdminAddr, "seeds", cfg.Seeds, "admin_auth", !cfg.AdminNoAuth, "data_dir", dd.Path())
	select {
	case <-ctx.Done():
	case <-n.Hub.Stopped(): // e.g. another live node has this name
		log.Error("phubd: the node stopped", "err", n.Hub.Err())
		cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		n.Leave(cctx)
		return 1
	}
	stop() // a second signal kills the process
	log.Info("phubd leaving the cluster", "timeout", cfg.ShutdownTimeout.String())
	cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	rep := n.Leave(cctx)
	level := slog.LevelInfo
	if rep.Children > 0 && len(rep.Peers) == 0 {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "phubd children at leave", "children", rep.Children, "kinds", rep.Kinds,
		"peers_alive", len(rep.Peers), "handed_over", rep.HandedOver, "outcome", rep.Outcome())
	if rep.Err != nil {
		log.Error("phubd: graceful leave incomplete", "err", rep.Err)
		return 1
	}
	log.Info("phubd stopped")
	return 0
}

// openDataDir locks the node's data directory and kills the process
// groups of exec children a previous incarnation left running, before the
// node exists (so before it joins the cluster).
func openDataDir(cfg config.Config, log *slog.Logger) (*datadir.Dir, error) {
	path := cfg.DataDir
	if path == "" {
		var err error
		if path, err = datadir.Default(cfg.Name); err != nil {
			return nil, err
		}
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	dd, err := datadir.Open(path)
	if err != nil {
		return nil, err
	}
	recs, err := dd.Leftovers()
	if err != nil {
		dd.Close()
		return nil, err
	}
	if len(recs) == 0 {
		return dd, nil
	}
	start := time.Now()
	rep, err := kinds.ReapLeftovers(recs, reapTimeout)
	for _, r := range rep.Killed {
		log.Warn("phubd: killed the process group of a previous incarnation's exec child", "child", r.Child,
			"fence", r.Fence, "pid", r.Pid, "command", r.Command)
	}
	if err != nil {
		dd.Close()
		return nil, fmt.Errorf("leftover exec children of a previous incarnation: %w", err)
	}
	for _, r := range recs {
		if ferr := dd.Forget(r.Pid); ferr != nil {
			dd.Close()
			return nil, fmt.Errorf("data dir: %w", ferr)
		}
	}
	log.Info("phubd reaped leftovers of a previous incarnation", "records", len(recs), "groups_killed", rep.Groups,
		"processes_killed", rep.Processes, "already_gone", rep.Stale, "took", time.Since(start).String())
	return dd, nil
}
