package phub

import (
	"context"
	"fmt"

	"github.com/phub/phub/core"
)

// IdleChild is a child that holds no goroutine while it runs: for
// children that only react to callbacks, or run goroutines they start
// themselves, and for measuring the distributor (phubd bench's noop
// kind). A child that runs on a goroutine of its own costs at least a
// 2 KiB stack per instance; an IdleChild instance costs its runtime
// record only.
//
// The hub calls OnStart on its event loop when an instance starts and
// OnStop exactly once when the instance ends: on the loop when the hub
// stops it (a stop, a move to another node, a lost quorum), on a
// goroutine of its own when strict mode's lease fence ends it, and at
// Close. Both must return promptly, and both may be nil. An OnStart error
// (or panic) is a failed start (ErrStartFailed, restart policy as for a
// crash); OnStop is not called then. An IdleChild never exits on its own.
//
// Run does the same on the calling goroutine (OnStart, wait for ctx,
// OnStop), so an IdleChild is also an ordinary Child. A factory may
// return one shared *IdleChild for every spec: the hub keeps nothing in
// it.
type IdleChild struct {
	OnStart func(env ChildEnv) error
	OnStop  func()
}

// Run calls OnStart, waits until ctx ends and calls OnStop; an OnStart
// error is returned at once.
func (c *IdleChild) Run(ctx context.Context, env ChildEnv) error {
	if c.OnStart != nil {
		if err := c.OnStart(env); err != nil {
			return err
		}
	}
	<-ctx.Done()
	if c.OnStop != nil {
		c.OnStop()
	}
	return nil
}

// startIdle performs an EffectStart for an IdleChild on the loop: no
// goroutine, no context; the instance's record is its only allocation
// (cancelRun ends it from any goroutine, the lease fence's timer, without
// a closure of its own).
func (h *Hub) startIdle(e core.Effect, c *IdleChild) {
	r := &childRun{
		hub: h, spec: e.Spec, epoch: e.Epoch, instance: e.Instance, state: e.State, active: e.Active,
		child: c, idle: c,
		fenced: h.fence.fencedChan(),
	}
	if c.OnStart != nil {
		if err := safeIdleStart(c.OnStart, r); err != nil {
			h.queueReport(core.ChildEvent{Kind: core.ChildStartFailed, ID: e.ID, Instance: e.Instance, Reason: err.Error()})
			return
		}
	}
	h.runs[e.ID] = r
	h.fence.add(r)
	h.queueReport(core.ChildEvent{Kind: core.ChildStarted, ID: e.ID, Instance: e.Instance})
}

// end stops the instance from the loop because core stopped it: an
// IdleChild at once, any other child by cancelling its context. Core
// ignores the exit of an instance it stopped, except in strict mode,
// where the exit releases the child's lease (core/strict.go), and after
// a move (core.Effect.AwaitExit: the exit releases its claim); so only
// those report it (an IdleChild's exit queued as the loop's next
// input, another child's from its goroutine), as the simulator does.
func (r *childRun) end() {
	r.stopped.Store(true)
	if r.idle == nil {
		r.cancel()
		return
	}
	h := r.hub
	if !h.strict && !r.awaitExit.Load() {
		r.endIdle(nil)
		return
	}
	r.endIdle(h.queueReport)
}

// endIdle calls OnStop once and reports the exit with report (nil: not
// at all: the loop has exited, or nobody needs the report).
func (r *childRun) endIdle(report func(core.ChildEvent)) {
	if !r.idleEnded.CompareAndSwap(false, true) {
		return
	}
	if r.idle.OnStop != nil {
		safeIdleStop(r.idle.OnStop, r)
	}
	r.hub.fence.remove(r)
	if report != nil {
		report(core.ChildEvent{Kind: core.ChildExited, ID: r.spec.ID, Instance: r.instance})
	}
}

// endIdleChildren ends every IdleChild instance after the loop has
// exited (Close): OnStop runs, no exit is reported.
func (h *Hub) endIdleChildren() {
	for _, r := range h.runs {
		if r.idle != nil {
			r.endIdle(nil)
		}
	}
}

func safeIdleStart(fn func(ChildEnv) error, r *childRun) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Logger().Error("child OnStart panicked", "panic", p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(r)
}

func safeIdleStop(fn func(), r *childRun) {
	defer func() {
		if p := recover(); p != nil {
			r.Logger().Error("child OnStop panicked", "panic", p)
		}
	}()
	fn()
}
