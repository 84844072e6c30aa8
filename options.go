package phub

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// Config configures a Hub. Core is required (start from
// core.DefaultConfig), and so is Transport; every other field has a
// working default.
type Config struct {
	// Core configures the distributor state machine. If Core.Incarnation
	// is zero (as core.DefaultConfig leaves it), New uses the clock's
	// current time in nanoseconds, so a restarted node gets a higher
	// incarnation and rejoins.
	// If Core.AdvertiseAddr is empty, New takes the transport's
	// (transport.TCP.AdvertiseAddr), so the address is set once, on the
	// transport.
	Core core.Config
	// Transport carries messages to peers. The hub owns it from New on:
	// Close closes it.
	Transport transport.Transport
	// Kinds maps a child spec's Kind to the factory that builds it. A
	// start whose spec names a kind missing here is refused at once with
	// ErrInvalidSpec (wrapping ErrUnknownKind); a node that lacks the kind
	// of a child it must run reports ErrStartFailed.
	Kinds Registry
	// Logger receives the runtime's logs (default slog.Default()).
	Logger *slog.Logger
	// Clock supplies time (default: the real clock). Core instants are
	// derived from the clock's monotonic readings.
	Clock Clock
	// HookQueue bounds the hook events waiting for their handlers
	// (default 65536); beyond it hooks are dropped and counted.
	HookQueue int
	// Lease, if set, is told the strict partition mode's deadlines (see
	// LeaseObserver); the hub enforces them itself in any case.
	Lease LeaseObserver
	// Store, if set, makes the node durable (core.Config.Durable): it
	// recovers its registry, incarnation and last view from the store at
	// New, and writes and syncs every batch of changes before it releases
	// the messages, replies and child starts of that batch — so children
	// survive a restart of every node. nil (the default) keeps the
	// registry in memory only. phubd sets it (store.WAL in its data dir).
	// The hub closes it when its loop ends.
	Store Store
}

// Registry maps child kind names to their factories.
type Registry map[string]ChildFactory

// DefaultHookQueue is the default bound of Config.HookQueue.
const DefaultHookQueue = 65536

func (c *Config) withDefaults() (Config, error) {
	out := *c
	if out.Transport == nil {
		return out, fmt.Errorf("phub: config: Transport: nil")
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.Clock == nil {
		out.Clock = RealClock()
	}
	if out.HookQueue <= 0 {
		out.HookQueue = DefaultHookQueue
	}
	if err := adoptAdvertiseAddr(&out); err != nil {
		return out, err
	}
	if out.Core.Incarnation == 0 {
		out.Core.Incarnation = uint64(out.Clock.Now().UnixNano())
	}
	if err := out.Core.Validate(); err != nil {
		return out, fmt.Errorf("phub: %w", err)
	}
	return out, nil
}

// Clock is the runtime's source of time. Tests may substitute a fake.
type Clock interface {
	// Now returns the current time; differences between readings (Sub)
	// must be monotonic.
	Now() time.Time
	// NewTicker returns a ticker firing every d.
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks on C until Stop.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// RealClock returns the wall clock (time.Now with its monotonic reading).
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) NewTicker(d time.Duration) Ticker {
	return realTicker{time.NewTicker(d)}
}

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.t.C }
func (t realTicker) Stop()               { t.t.Stop() }

// StartOption configures StartChildren.
type StartOption interface{ applyStart(*core.StartOptions) }

// StopOption configures StopChildren.
type StopOption interface{ applyStop(*core.StopOptions) }

// Option is an option accepted by both StartChildren and StopChildren.
type Option interface {
	StartOption
	StopOption
}

type startOpt func(*core.StartOptions)

func (f startOpt) applyStart(o *core.StartOptions) { f(o) }

type bothOpt struct {
	start func(*core.StartOptions)
	stop  func(*core.StopOptions)
}

func (b bothOpt) applyStart(o *core.StartOptions) { b.start(o) }
func (b bothOpt) applyStop(o *core.StopOptions)   { b.stop(o) }

// Await makes the call wait for a result per child instead of returning
// as soon as the request is initiated.
func Await() Option {
	return bothOpt{func(o *core.StartOptions) { o.Await = true }, func(o *core.StopOptions) { o.Await = true }}
}

// Timeout bounds an awaited request; children without an answer by then
// report ErrTimeout. Without it the request uses the context's deadline
// if it has one, else core.Config.Timing.RequestTimeout.
func Timeout(d time.Duration) Option {
	return bothOpt{func(o *core.StartOptions) { o.Timeout = d }, func(o *core.StopOptions) { o.Timeout = d }}
}

// SkipCheckExisting skips the up-front "already started" check against the
// local registry replica (ProcessHub's check_existing: false); the owner
// still refuses ids it knows.
func SkipCheckExisting() StartOption {
	return startOpt(func(o *core.StartOptions) { o.SkipCheckExisting = true })
}

// Rollback stops the children that started if any child of an awaited
// start failed; the call then returns ErrRolledBack. It needs Await():
// StartChildren refuses Rollback() alone with ErrRollbackNeedsAwait.
func Rollback() StartOption {
	return startOpt(func(o *core.StartOptions) { o.OnFailure = core.Rollback })
}

// WithMetadata stores m with every started child; the key "tag" is
// indexed by ByTag.
func WithMetadata(m core.Metadata) StartOption {
	return startOpt(func(o *core.StartOptions) { o.Metadata = m })
}

// ChildMapping gives the guided distribution strategy its id → nodes
// mapping.
func ChildMapping(m map[core.ChildID][]core.NodeID) StartOption {
	return startOpt(func(o *core.StartOptions) { o.ChildMapping = m })
}

// coreTimeout returns the timeout core should apply to a request bounded
// by ctx: the time left before ctx's deadline minus a margin of two ticks
// (at least 1ms), so core's own answer (per-child ErrTimeout, unreachable
// nodes) arrives before ctx ends; 0 (core's default) without a deadline.
func coreTimeout(ctx context.Context, now time.Time, tick time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	d := dl.Sub(now)
	if d > 4*tick {
		d -= 2 * tick
	}
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}
