package phub

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/phub/phub/core"
)

// Child is a long-running worker the hub places on a node. Run runs until
// ctx is cancelled (the hub stopped this instance) or the work ends:
// returning nil is a normal exit, returning an error or panicking is an
// abnormal exit. Whether an exited child is restarted is decided by its
// spec's core.RestartPolicy.
type Child interface {
	Run(ctx context.Context, env ChildEnv) error
}

// ChildFunc adapts a function to the Child interface.
type ChildFunc func(ctx context.Context, env ChildEnv) error

// Run calls f(ctx, env).
func (f ChildFunc) Run(ctx context.Context, env ChildEnv) error { return f(ctx, env) }

// ChildFactory builds the child for a spec. It runs on the hub's event
// loop, so it must be quick: do the work in Run. A factory error is
// reported as a failed start (ErrStartFailed). StartChildren also calls
// it once per spec on the node that receives the request, concurrently
// with other calls, to validate the spec: an error wrapping
// ErrInvalidSpec there refuses the request at once (ErrInvalidSpec), any
// other error is ignored there. So a factory must be safe for concurrent
// use and have no side effects beyond building the child.
type ChildFactory func(spec core.ChildSpec) (Child, error)

// HandoverProvider is implemented by children that hand their state over
// during hot-swap migration (core.MigrationConfig.Handover) as an
// alternative to ChildEnv.OnHandover. Handover is called on a runtime
// goroutine, concurrently with Run (possibly before Run got going or after
// it returned), and must return promptly.
type HandoverProvider interface {
	Handover() []byte
}

// ChildEnv is what a running child instance knows about itself and how it
// talks to the hub. Its methods are safe for concurrent use.
type ChildEnv interface {
	// ID is the child's id.
	ID() core.ChildID
	// Epoch is the instance's fencing epoch: per child, it grows with
	// every takeover by another node, but two nodes on both sides of a
	// partition can start the child at the same epoch, and local restarts
	// keep it. Fence external writes with Fence, not with Epoch.
	Epoch() uint64
	// Fence is the instance's fencing token: its epoch plus what only
	// this node can mint (node name, node incarnation, instance number),
	// so two instances never share a token, even when a partition lets
	// two nodes start the child at the same epoch. Prefer it to Epoch for
	// fencing external writes: accept a write only if its token is not
	// lower (core.Fence.Compare, or the byte order of its String) than
	// the last one accepted.
	Fence() core.Fence
	// Instance tells restarts of the child on this node apart.
	Instance() uint64
	// Spec is the child's spec (Params holds its kind's parameters).
	Spec() core.ChildSpec
	// Node is the name of the node running the instance.
	Node() core.NodeID
	// Logger is the hub's logger with the child's id.
	Logger() *slog.Logger
	// State is the handover state the instance starts from (hot swap on
	// a graceful shutdown elsewhere), or nil.
	State() []byte
	// Active is the instance's initial redundancy role (false for a
	// passive replica in active/passive replication).
	Active() bool
	// Signals delivers later redundancy signals (true: active). Only the
	// latest undelivered signal is kept.
	Signals() <-chan bool
	// HandoverIn delivers state handed over by the previous holder while
	// this instance is already running (hot swap on join). Only the latest
	// undelivered state is kept. Call Confirm once it is applied.
	HandoverIn() <-chan []byte
	// Confirm reports that the state received from HandoverIn is
	// applied, which releases the old instance when
	// core.MigrationConfig.ConfirmHandover is set.
	Confirm()
	// OnHandover registers fn to produce this instance's state when the
	// hub migrates it away (hot swap with handover). fn is called on a
	// runtime goroutine, concurrently with Run, and must return promptly.
	// It overrides a HandoverProvider implementation of the child.
	OnHandover(fn func() []byte)
	// Fenced is closed when the instance's lease deadline (strict
	// partition mode) has passed: the instance must stop at once, without
	// a grace period (its context is cancelled too; the exec kind kills
	// its process group). The hub's timer closes it even while the event
	// loop is stuck. Outside strict mode it is never closed.
	Fenced() <-chan struct{}
}

// childRun is one running instance; it is the instance's ChildEnv.
type childRun struct {
	hub      *Hub
	spec     core.ChildSpec
	epoch    uint64
	instance uint64
	state    []byte
	active   bool
	// log is the child's logger, made on first use (most children never
	// log, and a logger with attributes costs ~300 B per child).
	log atomic.Pointer[slog.Logger]

	child  Child
	cancel context.CancelFunc
	// signals and handoverIn are one-slot channels made on first use
	// (lazyChan): most instances never receive either, and two channels
	// cost ~240 B per instance.
	signals    lazyChan[bool]
	handoverIn lazyChan[[]byte]
	onHandover atomic.Pointer[func() []byte]
	done       chan struct{} // closed when Run has returned
	// waitsReady: the child is a ReadySignaler (ready.go); ready holds
	// its readiness state.
	waitsReady bool
	ready      atomic.Int32
	fenced     chan struct{} // closed by the lease fence
	fenceOnce  sync.Once
	// idle is the child when it is an IdleChild (idle.go): no goroutine;
	// idleEnded makes its OnStop run once.
	idle      *IdleChild
	idleEnded atomic.Bool
	// stopped: the hub ended the instance (end), because core stopped
	// it; outside strict mode its exit is reported only when core awaits
	// it (awaitExit: core.Effect.AwaitExit, a move keeping the claim
	// until the instance is gone), else core ignores it.
	stopped   atomic.Bool
	awaitExit atomic.Bool
}

var _ ChildEnv = (*childRun)(nil)

func (r *childRun) ID() core.ChildID { return r.spec.ID }
func (r *childRun) Epoch() uint64    { return r.epoch }
func (r *childRun) Instance() uint64 { return r.instance }
func (r *childRun) Fence() core.Fence {
	return core.Fence{Epoch: r.epoch, Incarnation: r.hub.cfg.Core.Incarnation, Instance: r.instance, Node: r.hub.name}
}
func (r *childRun) Spec() core.ChildSpec { return r.spec }
func (r *childRun) Node() core.NodeID    { return r.hub.name }
func (r *childRun) Logger() *slog.Logger {
	if l := r.log.Load(); l != nil {
		return l
	}
	l := r.hub.log.With("child", string(r.spec.ID), "instance", r.instance)
	if r.log.CompareAndSwap(nil, l) {
		return l
	}
	return r.log.Load()
}
func (r *childRun) State() []byte             { return r.state }
func (r *childRun) Active() bool              { return r.active }
func (r *childRun) Signals() <-chan bool      { return r.signals.get() }
func (r *childRun) HandoverIn() <-chan []byte { return r.handoverIn.get() }

func (r *childRun) OnHandover(fn func() []byte) { r.onHandover.Store(&fn) }
func (r *childRun) Fenced() <-chan struct{}     { return r.fenced }

// fence ends the instance at once: its lease deadline passed.
func (r *childRun) fence() {
	if r.fenced != neverFenced { // the fence is off outside strict mode
		r.fenceOnce.Do(func() { close(r.fenced) })
	}
	r.cancelRun()
}

// cancelRun ends the instance from any goroutine: it cancels a goroutine
// child's context, and ends an IdleChild on a goroutine of its own (the
// caller, the lease fence's timer, holds the fence's lock).
func (r *childRun) cancelRun() {
	if r.idle != nil {
		go r.endIdle(r.hub.report)
		return
	}
	r.cancel()
}

// isFenced reports whether fence was called.
func (r *childRun) isFenced() bool {
	select {
	case <-r.fenced:
		return true
	default:
		return false
	}
}

func (r *childRun) Confirm() {
	r.hub.report(core.ChildEvent{Kind: core.ChildHandoverConfirmed, ID: r.spec.ID, Instance: r.instance})
}

// handoverFunc returns the instance's state producer, or nil.
func (r *childRun) handoverFunc() func() []byte {
	if fn := r.onHandover.Load(); fn != nil {
		return *fn
	}
	if p, ok := r.child.(HandoverProvider); ok {
		return p.Handover
	}
	return nil
}

// lazyChan is a one-slot channel made by the first get, from any
// goroutine; every get returns the same channel.
type lazyChan[T any] struct{ p atomic.Pointer[chan T] }

func (l *lazyChan[T]) get() chan T {
	if p := l.p.Load(); p != nil {
		return *p
	}
	ch := make(chan T, 1)
	if l.p.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *l.p.Load()
}

// offerLatest puts v on a one-slot channel owned by the loop, replacing an
// undelivered older value. Only the loop sends, so it never blocks.
func offerLatest[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// startChild performs an EffectStart on the loop. It queues the report
// of the start (or of its failure) as one of the loop's next inputs.
func (h *Hub) startChild(e core.Effect) {
	fail := func(reason string) {
		h.queueReport(core.ChildEvent{Kind: core.ChildStartFailed, ID: e.ID, Instance: e.Instance, Reason: reason})
	}
	if old := h.runs[e.ID]; old != nil {
		// core restarts only exited instances; make sure the old one is gone.
		old.end()
		delete(h.runs, e.ID)
	}
	factory, ok := h.cfg.Kinds[e.Spec.Kind]
	if !ok {
		fail(fmt.Sprintf("%v %q", ErrUnknownKind, e.Spec.Kind))
		return
	}
	child, err := safeFactory(factory, e.Spec)
	if err != nil {
		fail(err.Error())
		return
	}
	if c, ok := child.(*IdleChild); ok {
		h.startIdle(e, c)
		return
	}
	ctx, cancel := context.WithCancel(h.childCtx)
	r := &childRun{
		hub: h, spec: e.Spec, epoch: e.Epoch, instance: e.Instance, state: e.State, active: e.Active,
		child: child, cancel: cancel,
		done:   make(chan struct{}),
		fenced: h.fence.fencedChan(),
	}
	r.waitsReady = signalsReady(child)
	h.runs[e.ID] = r
	h.fence.add(r)
	h.childWG.Add(1)
	go r.run(ctx)
	if !r.waitsReady {
		h.queueReport(core.ChildEvent{Kind: core.ChildStarted, ID: e.ID, Instance: e.Instance})
	}
}

func safeFactory(f ChildFactory, spec core.ChildSpec) (c Child, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("factory panic: %v", p)
		}
	}()
	c, err = f(spec)
	if err == nil && c == nil {
		err = fmt.Errorf("factory returned a nil child")
	}
	return c, err
}

// run executes the child and reports its exit.
func (r *childRun) run(ctx context.Context) {
	defer r.hub.childWG.Done()
	defer close(r.done)
	defer r.hub.fence.remove(r)
	err := r.safeRun(ctx)
	if err != nil && ctx.Err() == nil {
		r.Logger().Warn("child exited abnormally", "err", err)
	}
	ev := r.exitEvent(err)
	r.cancel()
	if r.stopped.Load() && !r.hub.strict && !r.awaitExit.Load() {
		// core stopped this instance and ignores its exit outside
		// strict mode (strict mode holds the child's lease until the
		// exit is reported, and a move its claim: awaitExit): one input
		// less per stopped child.
		return
	}
	r.hub.report(ev)
}

func (r *childRun) safeRun(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Logger().Error("child panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return r.child.Run(ctx, r)
}

// stopChild performs an EffectStop: it cancels the instance; the instance
// reports its exit once it is gone when core awaits it (strict mode, or
// e.AwaitExit: the claim of a moved child stays until then).
func (h *Hub) stopChild(e core.Effect) {
	r := h.runs[e.ID]
	if r == nil || r.instance != e.Instance {
		if e.AwaitExit {
			// Not running here (its start failed or it exited already,
			// reported or about to be): nothing to wait for.
			h.queueReport(core.ChildEvent{Kind: core.ChildExited, ID: e.ID, Instance: e.Instance, Reason: "stopped"})
		}
		return
	}
	delete(h.runs, e.ID)
	if e.AwaitExit {
		r.awaitExit.Store(true) // before end sets stopped (run reads both)
	}
	h.fence.stopped(r) // no-op if capped already, before the batch's new deadline
	r.end()
}

// requestHandover performs an EffectRequestHandover: the state is produced
// off the loop and reported as ChildHandoverState.
func (h *Hub) requestHandover(e core.Effect) {
	r := h.runs[e.ID]
	var fn func() []byte
	if r != nil && r.instance == e.Instance {
		fn = r.handoverFunc()
	}
	if fn == nil {
		h.queueReport(core.ChildEvent{Kind: core.ChildHandoverState, ID: e.ID, Instance: e.Instance})
		return
	}
	h.childWG.Add(1)
	go func() {
		defer h.childWG.Done()
		state := safeHandover(fn, r.Logger())
		h.report(core.ChildEvent{Kind: core.ChildHandoverState, ID: e.ID, Instance: e.Instance, State: state})
	}()
}

func safeHandover(fn func() []byte, log *slog.Logger) (state []byte) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("handover panicked", "panic", p)
			state = nil
		}
	}()
	return fn()
}

// deliverHandover performs an EffectDeliverHandover.
func (h *Hub) deliverHandover(e core.Effect) {
	if r := h.runs[e.ID]; r != nil && r.instance == e.Instance {
		offerLatest(r.handoverIn.get(), e.State)
	}
}

// signalChild performs an EffectSignal.
func (h *Hub) signalChild(e core.Effect) {
	if r := h.runs[e.ID]; r != nil && r.instance == e.Instance {
		offerLatest(r.signals.get(), e.Active)
	}
}

// report hands a child event to the loop; it gives up once the loop has
// exited, so children never block on a closed hub.
func (h *Hub) report(ev core.ChildEvent) {
	select {
	case h.events <- ev:
	case <-h.done:
	}
}

// stopAllChildren cancels every instance (after the loop exited).
func (h *Hub) stopAllChildren() {
	h.childCancel()
	h.endIdleChildren()
}
