package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/phub/phub/cmd/phubd/internal/config"
	"github.com/phub/phub/cmd/phubd/internal/node"
)

// runCmd runs one node until SIGTERM or SIGINT, then leaves the cluster
// gracefully (children are handed over when migration is hot_swap with
// handover) within shutdown_timeout. Exit status: 0 after a clean leave,
// 1 if the leave timed out or the node failed to start, 2 for a bad
// configuration.
func runCmd(args []string, stderr io.Writer) int {
	cfg, err := config.Load(args, os.Environ(), stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "phubd run: %v\n", err)
		return 2
	}
	log := cfg.Logger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	n, err := node.Start(cfg, log, nil)
	if err != nil {
		log.Error("phubd: start failed", "err", err)
		return 1
	}
	log.Info("phubd running", "name", cfg.Name, "hub", cfg.Core.HubID, "peer_addr", n.PeerAddr,
		"admin_addr", n.AdminAddr, "seeds", cfg.Seeds, "admin_auth", !cfg.AdminNoAuth)
	<-ctx.Done()
	stop() // a second signal kills the process
	log.Info("phubd leaving the cluster", "timeout", cfg.ShutdownTimeout.String())
	cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := n.Close(cctx); err != nil {
		log.Error("phubd: graceful leave incomplete", "err", err)
		return 1
	}
	log.Info("phubd stopped")
	return 0
}
