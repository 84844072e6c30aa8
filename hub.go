package phub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// maxInputsPerDrain bounds how many inputs the loop feeds core before it
// drains the Ready batch, so bursts are batched but outputs never wait long.
const maxInputsPerDrain = 256

// closedChan is always ready; it turns a select into a non-blocking one.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// opQueue bounds API operations waiting for the loop.
const opQueue = 256

// eventQueue bounds child reports waiting for the loop.
const eventQueue = 1024

// Hub is one running phub node. All its methods are safe for concurrent
// use. Create it with New and stop it with Close.
type Hub struct {
	cfg   Config
	name  core.NodeID
	log   *slog.Logger
	clock Clock
	mono  func() core.Mono
	// strict: strict partition mode, the only one that reads the
	// monotonic clock and emits lease deadlines
	strict bool
	fence  *leaseFence
	tr     transport.Transport
	start  time.Time
	base   core.Instant

	ops    chan func()          // run on the loop
	events chan core.ChildEvent // child reports
	kill   chan struct{}        // closed to stop the loop without a leave
	done   chan struct{}        // closed when the loop has exited

	index       *index
	stamp       countStamp // when the loop last changed the index's count
	hooks       *hookDispatcher
	local       atomic.Pointer[core.NodeChildren]
	localStale  atomic.Bool // the local snapshot is older than core's state
	members     atomic.Pointer[[]core.Member]
	partitioned atomic.Bool
	unsendable  atomic.Uint64 // messages the transport could not frame
	// durable mode (durable.go): batches written, and the write error
	// that stopped the hub (owned by the loop)
	persistedBatches atomic.Uint64
	storeErr         error

	childCtx    context.Context
	childCancel context.CancelFunc
	childWG     sync.WaitGroup

	closeOnce sync.Once
	closed    chan struct{} // closed when Close has finished
	identity  identityState

	// Owned by the loop goroutine.
	node         *core.Node
	runs         map[core.ChildID]*childRun
	waiters      map[uint64]chan core.Reply
	nextReq      uint64
	addrs        map[core.NodeID]string
	leaving      bool
	membersDirty bool
	localDirty   bool
	lastMembers  []core.Member
	// queued holds child reports made on the loop itself (starts and
	// failed starts of effects, an IdleChild's exit in strict mode),
	// fed to core as the next inputs from queued[queuedHead:].
	queued     []core.ChildEvent
	queuedHead int
	// reportsFed counts child reports fed to core (tests count them).
	reportsFed uint64
	// sendTo is sendMessages' buffer of a message's receivers.
	sendTo []core.NodeID
	// beforeApply, if set (tests, on the loop), runs with a Ready's
	// messages before its registry changes are applied to the index.
	beforeApply func([]core.Envelope)
}

// New validates cfg, creates the node and starts its event loop. The node
// contacts cfg.Core.Seeds on its first tick.
func New(cfg Config) (*Hub, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	// The index keeps live entries only: changes of stopped children
	// carry no entry copy.
	c.Core.LiveChanges = true
	start := c.Clock.Now()
	base := core.Instant(start.UnixNano())
	node, err := bootNode(&c, base)
	if err != nil {
		return nil, fmt.Errorf("phub: %w", err)
	}
	if fl, ok := c.Transport.(interface{ MaxFrameBytes() int }); ok && fl.MaxFrameBytes() < transport.FrameBytesFor(c.Core.Limits) {
		return nil, fmt.Errorf("phub: config: the transport's frame limit (%d bytes) is below what Limits.MaxMessageBytes needs (%d, transport.FrameBytesFor)",
			fl.MaxFrameBytes(), transport.FrameBytesFor(c.Core.Limits))
	}
	h := &Hub{
		cfg: c, name: c.Core.Name, log: c.Logger.With("node", string(c.Core.Name)), clock: c.Clock, mono: monoSource(c.Clock, start),
		tr: c.Transport, start: start, base: base,
		ops: make(chan func(), opQueue), events: make(chan core.ChildEvent, eventQueue),
		kill: make(chan struct{}), done: make(chan struct{}), closed: make(chan struct{}),
		index: newIndex(),
		node:  node, runs: map[core.ChildID]*childRun{}, waiters: map[uint64]chan core.Reply{},
		addrs: map[core.NodeID]string{}, membersDirty: true, localDirty: true,
	}
	// A seed named by its address (host:port) is reachable at that address.
	for _, seed := range c.Core.Seeds {
		if seed != c.Core.Name && strings.Contains(string(seed), ":") {
			h.tr.SetAddress(seed, string(seed))
		}
	}
	h.strict = c.Core.Partition.Kind == core.Strict
	h.fence = newLeaseFence(h.strict, h.mono, h.log, c.Lease)
	h.identity.stopped = make(chan struct{})
	h.setIdentity()
	h.shareChildIDs()
	h.hooks = newHookDispatcher(h.log, c.HookQueue)
	h.childCtx, h.childCancel = context.WithCancel(context.Background())
	h.drain()
	if h.storeErr != nil {
		h.childCancel()
		return nil, h.storeErr
	}
	go h.loop()
	return h, nil
}

// Name returns the node's name.
func (h *Hub) Name() core.NodeID { return h.name }

// now returns the core instant of the clock's current reading. Every
// input to core takes it, so in strict mode it also hands core the
// monotonic clock (other modes ignore it). Loop only.
func (h *Hub) now() core.Instant {
	if h.strict {
		h.node.SetMono(h.mono())
	}
	return h.base + core.Instant(h.clock.Now().Sub(h.start))
}

// loop is the hub's event loop: the only goroutine touching h.node.
func (h *Hub) loop() {
	defer h.exitLoop()
	ticker := h.clock.NewTicker(h.cfg.Core.Timing.TickInterval)
	defer ticker.Stop()
	inbox := h.tr.Inbox()
	// Tick once at start: a joining node sends its join now, not one tick
	// interval (50 ms by default) later.
	h.node.Tick(h.now())
	h.membersDirty = true
	h.drain()
	for {
		if !h.input(inbox, ticker, true) {
			return
		}
		// Feed whatever else is ready as one core batch: the end-of-input
		// work (reconciliation, claim pushes, coalesced changes) runs once.
		h.node.BeginBatch()
		for i := 1; i < maxInputsPerDrain; i++ {
			if !h.input(inbox, ticker, false) {
				break
			}
		}
		h.node.EndBatch()
		h.drain()
		if h.storeErr != nil {
			return // fail-stop (durable.go)
		}
		select {
		case <-h.kill:
			return
		default:
		}
		if err := h.nameConflict(); err != nil {
			h.stopSelf(err)
			return
		}
		if h.leaving && h.node.Left() {
			return
		}
	}
}

// input feeds one input to core; without block it returns false when none
// is ready. With block it returns false only when the loop must exit.
func (h *Hub) input(inbox <-chan transport.Inbound, ticker Ticker, block bool) bool {
	var killc <-chan struct{}
	if block {
		killc = h.kill
	}
	var dflt <-chan struct{}
	if !block {
		dflt = closedChan
	}
	if h.queuedHead < len(h.queued) {
		ev := h.queued[h.queuedHead]
		h.queued[h.queuedHead] = core.ChildEvent{}
		h.queuedHead++
		if h.queuedHead == len(h.queued) {
			h.queuedHead = 0
			h.queued = h.queued[:0]
			if cap(h.queued) > maxKeptQueue {
				h.queued = nil
			}
		}
		h.feedReport(ev)
		return true
	}
	for {
		select {
		case in, ok := <-inbox:
			if !ok {
				inbox = nil
				if !block {
					return false
				}
				continue
			}
			h.step(in)
		case <-ticker.C():
			h.node.Tick(h.now())
			h.membersDirty = true
		case op := <-h.ops:
			op()
		case ev := <-h.events:
			h.feedReport(ev)
		case <-killc:
			return false
		case <-dflt:
			return false
		}
		return true
	}
}

// maxKeptQueue bounds the capacity of the emptied report queue kept for
// reuse: one huge start does not pin its queue's memory.
const maxKeptQueue = 4096

// queueReport queues a child report made on the loop: core gets it as
// one of the loop's next inputs, batched with the others (child reports
// are inputs, never calls back into core while a Ready is processed).
func (h *Hub) queueReport(ev core.ChildEvent) { h.queued = append(h.queued, ev) }

// feedReport feeds a child report to core.
func (h *Hub) feedReport(ev core.ChildEvent) {
	h.reportsFed++
	h.node.ChildEvent(h.now(), ev)
	h.localDirty = true
}

func (h *Hub) step(in transport.Inbound) {
	switch in.Msg.Kind {
	case core.MsgJoin, core.MsgWelcome, core.MsgHeartbeat, core.MsgLeave:
		h.membersDirty = true
	}
	h.node.Step(h.now(), in.Msg)
}

// drain processes core's outputs until it has none, then publishes the
// snapshots readers use.
func (h *Hub) drain() {
	for i := 0; ; i++ {
		rd := h.node.Ready()
		if rd.Empty() {
			break
		}
		if !h.persist(rd.Persist) {
			return // the hub stops: nothing of this Ready is released
		}
		h.process(rd)
	}
	h.publishSnapshots()
}

func (h *Hub) process(rd core.Ready) {
	for _, hk := range rd.Hooks {
		switch hk.Kind {
		case core.HookPostClusterJoin, core.HookPostClusterLeave:
			h.membersDirty = true
			h.log.Info("membership changed", "member", string(hk.Node), "event", string(hk.Kind), "detail", hk.Detail)
			if hk.Kind == core.HookPostClusterLeave && hk.Detail == core.StatusDown.String() {
				h.resetPeer(hk.Node)
			}
		}
	}
	if h.membersDirty {
		h.refreshMembers()
	}
	// Requests and replication rounds leave before the index and effect
	// work, which they do not wait for; what answers a peer is sent after
	// it (sendgroup.go's earlyMessages).
	early := 0
	if !h.strict {
		early = earlyMessages(rd.Messages)
		h.sendMessages(rd.Messages[:early])
	}
	if h.beforeApply != nil && len(rd.Changes) > 0 {
		h.beforeApply(rd.Messages)
	}
	// core emits a change for every child whose visible replicas change,
	// view changes included, so the index follows the changes alone.
	h.applyChanges(rd.Changes) // countstamp.go
	if len(rd.Effects) > 0 {
		h.localDirty = true
	}
	// Stopped instances keep the deadline in force before this batch's
	// new one, which is set before any instance starts under it. (The
	// fence runs in strict mode only: elsewhere this pass would cost a
	// map lookup per effect for nothing.)
	if h.strict {
		for _, e := range rd.Effects {
			if e.Kind != core.EffectStop {
				continue
			}
			if r := h.runs[e.ID]; r != nil && r.instance == e.Instance {
				h.fence.stopped(r)
			}
		}
	}
	if rd.LeaseUntil != 0 {
		h.fence.setUntil(rd.LeaseUntil)
	}
	for _, e := range rd.Effects {
		switch e.Kind {
		case core.EffectStart:
			h.startChild(e)
		case core.EffectStop:
			h.stopChild(e)
		case core.EffectRequestHandover:
			h.requestHandover(e)
		case core.EffectDeliverHandover:
			h.deliverHandover(e)
		case core.EffectSignal:
			h.signalChild(e)
		}
	}
	h.sendMessages(rd.Messages[early:]) // sendgroup.go
	for _, r := range rd.Replies {
		if ch, ok := h.waiters[r.ID]; ok {
			delete(h.waiters, r.ID)
			ch <- r // buffered, one reply per request
		}
	}
	h.hooks.publish(rd.Hooks)
}

// resetPeer tells the transport that core declared name down: its
// connections, possibly frozen by a network cut, are dropped and the next
// heartbeat probe redials, so the heal is noticed within about a redial
// backoff instead of the kernel's retransmission backoff.
func (h *Hub) resetPeer(name core.NodeID) {
	if r, ok := h.tr.(transport.PeerResetter); ok {
		r.ResetPeer(name)
	}
}

// refreshMembers publishes the member list and tells the transport every
// member's address.
func (h *Hub) refreshMembers() {
	h.membersDirty = false
	ms := h.node.Members()
	for _, m := range ms {
		if m.Name == h.name || m.Addr == "" || h.addrs[m.Name] == m.Addr {
			continue
		}
		h.addrs[m.Name] = m.Addr
		h.tr.SetAddress(m.Name, m.Addr)
	}
	if !sameMembers(ms, h.lastMembers) {
		h.lastMembers = ms
		cp := append([]core.Member(nil), ms...)
		h.members.Store(&cp)
	}
}

func sameMembers(a, b []core.Member) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (h *Hub) publishSnapshots() {
	if h.localDirty {
		// Rebuilt lazily by the next WhichChildrenLocal: sorting every
		// local child after every batch of inputs would dominate large
		// starts.
		h.localDirty = false
		h.localStale.Store(true)
	}
	if h.members.Load() == nil {
		h.refreshMembers()
	}
	h.partitioned.Store(h.node.Partitioned())
}

// exitLoop runs when the loop stops: pending calls fail with ErrClosed.
func (h *Hub) exitLoop() {
	var err error = ErrClosed
	if h.storeErr != nil {
		err = h.storeErr
	}
	for id, ch := range h.waiters {
		delete(h.waiters, id)
		ch <- core.Reply{ID: id, Err: err}
	}
	if h.cfg.Store != nil {
		if cerr := h.cfg.Store.Close(); cerr != nil {
			h.log.Warn("closing the durable store", "err", cerr)
		}
	}
	empty := core.NodeChildren{Node: h.name}
	h.local.Store(&empty)
	close(h.done)
}

// call runs fn on the loop and waits for it, or fails if ctx ends or the
// hub is closed first.
func (h *Hub) call(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	op := func() { fn(); close(ran) }
	select {
	case h.ops <- op:
	case <-ctx.Done():
		return fmt.Errorf("phub: %w", ctx.Err())
	case <-h.done:
		return ErrClosed
	}
	select {
	case <-ran:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("phub: %w", ctx.Err())
	case <-h.done:
		select {
		case <-ran:
			return nil
		default:
			return ErrClosed
		}
	}
}

// request submits req to core and waits for its reply. If ctx ends first,
// the reply is discarded when it arrives (its channel is buffered).
func (h *Hub) request(ctx context.Context, req core.Request) (core.Reply, error) {
	ch := make(chan core.Reply, 1)
	op := func() {
		h.nextReq++
		req.ID = h.nextReq
		h.waiters[req.ID] = ch
		h.node.Request(h.now(), req)
	}
	select {
	case h.ops <- op:
	case <-ctx.Done():
		return core.Reply{}, fmt.Errorf("phub: %s: %w", req.Op, ctx.Err())
	case <-h.done:
		return core.Reply{}, ErrClosed
	}
	select {
	case rep := <-ch:
		return rep, nil
	case <-ctx.Done():
		return core.Reply{}, fmt.Errorf("phub: %s: %w", req.Op, ctx.Err())
	case <-h.done:
		select {
		case rep := <-ch:
			return rep, nil
		default:
			return core.Reply{}, ErrClosed
		}
	}
}

// Close leaves the cluster gracefully: core hands children over (hot swap
// with handover) and announces the leave; the loop keeps running until the
// leave completes or ctx ends. Then every child is stopped, the transport
// closed and the hook goroutine drained. Close returns ctx's error if the
// leave or the shutdown did not finish in time (the hub is closed anyway).
// Calling Close again waits for the first call and returns nil.
func (h *Hub) Close(ctx context.Context) error {
	first := false
	h.closeOnce.Do(func() { first = true })
	if !first {
		select {
		case <-h.closed:
		case <-ctx.Done():
			return fmt.Errorf("phub: close: %w", ctx.Err())
		}
		return nil
	}
	defer close(h.closed)
	var errs []error
	leave := func() {
		h.leaving = true
		h.node.Leave(h.now())
	}
	select {
	case h.ops <- leave:
	case <-h.done:
	case <-ctx.Done():
	}
	select {
	case <-h.done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("phub: close: leave: %w", ctx.Err()))
		close(h.kill)
		<-h.done
	}
	h.stopAllChildren()
	childrenDone := make(chan struct{})
	go func() { h.childWG.Wait(); close(childrenDone) }()
	select {
	case <-childrenDone:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("phub: close: children still stopping: %w", ctx.Err()))
	}
	if err := h.tr.Close(); err != nil {
		errs = append(errs, fmt.Errorf("phub: close transport: %w", err))
	}
	h.hooks.close()
	select {
	case <-h.hooks.done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("phub: close: hook handlers still running: %w", ctx.Err()))
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// sendFailed logs a refused send: at Error, and counted, if the message
// itself cannot be sent (too large, not encodable, invalid), since that
// loses it for good; at Debug if the peer was momentarily unreachable
// (unknown address, full queue), which the protocol retries.
func (h *Hub) sendFailed(env core.Envelope, err error) {
	if errors.Is(err, transport.ErrFrameTooLarge) || errors.Is(err, transport.ErrBadPayload) || errors.Is(err, transport.ErrInvalidMessage) {
		h.unsendable.Add(1)
		h.log.Error("message cannot be sent", "to", string(env.To), "kind", env.Msg.Kind.String(),
			"bytes", core.MessageBytes(&env.Msg), "err", err)
		return
	}
	h.log.Debug("send failed", "to", string(env.To), "kind", env.Msg.Kind.String(), "err", err)
}

// UnsendableMessages returns how many messages the transport refused to
// send because of the message itself (frame too large, not encodable,
// invalid); each was logged at Error. core splits its messages to fit
// the limits table, so this stays 0 unless the transport's limits are
// below the node's core.Limits.
func (h *Hub) UnsendableMessages() uint64 { return h.unsendable.Load() }

// DroppedHooks returns how many hook events were dropped because the hook
// queue was full.
func (h *Hub) DroppedHooks() uint64 { return h.hooks.dropped.Load() }
