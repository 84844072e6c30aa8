// Package node assembles one phubd node from its configuration: the TCP
// transport (with seed resolution and traffic counting), the hub with
// the built-in child kinds, and the admin API.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/cmd/phubd/internal/admin"
	"github.com/phub/phub/cmd/phubd/internal/config"
	"github.com/phub/phub/cmd/phubd/internal/seeds"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// Node is a running phubd node.
type Node struct {
	Hub      *phub.Hub
	Counters *kinds.Counters
	// PeerAddr is the address peers reach this node at.
	PeerAddr string
	// AdminAddr is the admin API's bound address ("" if disabled).
	AdminAddr string

	seeds     *seeds.Transport
	admin     *http.Server
	log       *slog.Logger
	migration core.MigrationConfig
	// Strict partition mode only: the fence guard process and the lease
	// file (nil otherwise).
	guard     *kinds.FenceGuard
	leaseFile *kinds.LeaseFile
}

// Option changes how Start builds a node.
type Option func(*options)

type options struct {
	store     phub.Store
	journal   kinds.ProcessJournal
	leasePath string
	noGuard   bool
}

// WithoutFenceGuard runs strict mode without its fence guard process
// (test only: e2e shows the duplicates the guard prevents).
func WithoutFenceGuard() Option {
	return func(o *options) { o.noGuard = true }
}

// WithLeaseFile makes a strict-mode node keep its lease deadline in the
// file at path (kinds.LeaseFile), passed to exec children as
// PHUB_LEASE_FILE. Other modes ignore it.
func WithLeaseFile(path string) Option {
	return func(o *options) { o.leasePath = path }
}

// WithStore makes the node durable: its registry is kept in s
// (phub.Config.Store), which the node closes.
func WithStore(s phub.Store) Option {
	return func(o *options) { o.store = s }
}

// WithJournal records every exec child the node starts in j (see
// kinds.ExecConfig.Journal).
func WithJournal(j kinds.ProcessJournal) Option {
	return func(o *options) { o.journal = j }
}

// Start builds and starts a node. res resolves seed host names (nil: the
// system resolver).
func Start(cfg config.Config, log *slog.Logger, res seeds.Resolver, opts ...Option) (*Node, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	secret, err := cfg.ReadSecret()
	if err != nil {
		return nil, err
	}
	token, err := cfg.ReadAdminToken()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := cfg.TLSConfig()
	if err != nil {
		return nil, err
	}
	tcp, err := transport.NewTCP(transport.TCPConfig{
		Name: cfg.Core.Name, ListenAddr: cfg.Listen, AdvertiseAddr: cfg.Advertise, HubID: cfg.Core.HubID,
		Secret: secret, InsecureNoAuth: cfg.InsecureNoAuth, TLS: tlsCfg, Logger: log,
		MaxBatch: cfg.Core.Limits.MaxBatch, DeadPeerAfter: cfg.Core.Timing.DownAfter,
	})
	if err != nil {
		return nil, err
	}
	advertise := tcp.AdvertiseAddr()
	if advertise == "" {
		advertise = tcp.Addr()
	}
	st := seeds.New(tcp, advertise, cfg.Seeds, res, log)
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	st.Refresh(rctx)
	cancel()
	st.Run(cfg.SeedsEvery)

	cc := cfg.Core
	cc.Seeds = st.SeedIDs()
	cc.Migration.ExitWait = exitWaitFor(cc.Migration.ExitWait, cfg.ExecGrace)
	cc.AdvertiseAddr = advertise
	if cc.RandSeed == 0 {
		cc.RandSeed = uint64(time.Now().UnixNano())
	}
	counters := kinds.NewCounters()
	fence, err := startFence(cc, o.leasePath, !o.noGuard, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	execCfg := kinds.ExecConfig{LogDir: cfg.ExecLogDir, Grace: cfg.ExecGrace, PassEnv: cfg.ExecPassEnv, Journal: o.journal, Guard: fence.guard}
	var lease phub.LeaseObserver
	var obs phub.LeaseObservers
	if fence.guard != nil {
		obs = append(obs, fence.guard)
	}
	if fence.file != nil {
		obs = append(obs, fence.file)
		execCfg.LeaseFile = fence.file.Path()
	}
	if len(obs) > 0 {
		lease = obs
	}
	hub, err := phub.New(phub.Config{
		Core:      cc,
		Transport: st,
		Kinds: phub.Registry{
			kinds.CounterKind: counters.Factory,
			kinds.ExecKind:    kinds.NewExec(execCfg),
		},
		Logger: log,
		Lease:  lease,
		Store:  o.store,
	})
	if err != nil {
		fence.close()
		st.Close()
		return nil, err
	}
	st.SetMembers(hub.Members)
	n := &Node{Hub: hub, Counters: counters, PeerAddr: advertise, seeds: st, log: log, migration: cc.Migration,
		guard: fence.guard, leaseFile: fence.file}
	if cfg.AdminAddr != "" {
		srv, err := admin.New(admin.Options{Hub: hub, Core: cc, Token: token, Logger: log, Traffic: st.Counts, Counter: counters.Info})
		if err != nil {
			n.closeHub(context.Background())
			return nil, err
		}
		ln, err := net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			n.closeHub(ctx)
			return nil, fmt.Errorf("admin: listen %s: %w", cfg.AdminAddr, err)
		}
		n.AdminAddr = ln.Addr().String()
		n.admin = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		n.admin.RegisterOnShutdown(srv.CloseStreams) // open event streams must not hold the shutdown
		go func() {
			if err := n.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("admin server failed", "err", err)
			}
		}()
	}
	return n, nil
}

func (n *Node) closeHub(ctx context.Context) error {
	err := n.Hub.Close(ctx)
	(&fenceParts{guard: n.guard, file: n.leaseFile}).close()
	return err
}

// Close leaves the cluster gracefully (handing children over when the
// migration strategy says so), then stops the admin API. It returns the
// hub's error if the leave did not finish before ctx ended.
func (n *Node) Close(ctx context.Context) error {
	err := n.closeHub(ctx)
	if n.admin != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if serr := n.admin.Shutdown(sctx); serr != nil {
			n.admin.Close()
		}
	}
	return err
}

// exitWaitFor is the core's Migration.ExitWait for exec children stopped
// with grace: what is configured (0: core.DefaultExitWait), raised to
// grace plus 2 s when that is longer — a stopped exec child may take its
// whole grace to exit, and a move's new holder must not start the child
// while the old process still runs (core/exiting.go).
func exitWaitFor(configured, grace time.Duration) time.Duration {
	if grace <= 0 {
		grace = kinds.DefaultExecGrace
	}
	w := configured
	if w <= 0 {
		w = core.DefaultExitWait
	}
	return max(w, grace+2*time.Second)
}
