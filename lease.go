package phub

import (
	"log/slog"
	"sync"
	"time"

	"github.com/phub/phub/core"
)

// LeaseObserver is told about the strict partition mode's deadlines
// (core.Ready.LeaseUntil) as the hub learns them, so that something outside
// the node's process can enforce them too: phubd's fence guard kills exec
// children while phubd itself is stopped, and its lease file tells children
// when their lease ends. Its methods are called on the hub's event loop, in
// order, and must return promptly.
type LeaseObserver interface {
	// LeaseUntil reports the node's deadline on its monotonic clock
	// (Hub.Mono): every local child must be dead when that clock reaches
	// it. core.NoLease means no child needs one. A later call replaces it
	// (it may move backwards).
	LeaseUntil(until core.Mono)
	// InstanceStopped reports that the hub stopped an instance: it must be
	// dead by until (the deadline in force when it was stopped), whatever
	// later LeaseUntil calls say.
	InstanceStopped(id core.ChildID, instance uint64, until core.Mono)
}

// leaseFence enforces the strict mode's deadlines inside the process with a
// timer of its own, independent of the event loop: when an instance's
// deadline passes on the monotonic clock, the instance is fenced (its
// ChildEnv.Fenced channel closes and its context is cancelled) even if the
// loop is stuck. Outside strict mode core never emits a deadline, so the
// fence is off: it tracks no instance (no lock, no map entry and no
// channel per child) and arms no timer.
type leaseFence struct {
	on   bool // strict mode: core may emit deadlines
	mono func() core.Mono
	log  *slog.Logger
	obs  LeaseObserver // may be nil

	mu      sync.Mutex
	until   core.Mono
	runs    map[*childRun]core.Mono // live instance → its own deadline cap (NoLease: follows until)
	stops   map[*childRun]bool      // instances stopped (capped) already
	timer   *time.Timer
	armed   core.Mono // the deadline the timer is set for (NoLease: none)
	fenced  uint64    // instances fenced so far
	rearms  uint64    // rearmLocked calls
	scanned uint64    // instances visited by rearmLocked (work counter)
}

// neverFenced is the Fenced channel of every instance outside strict mode:
// never closed, shared, so a child costs no channel of its own.
var neverFenced = make(chan struct{})

// fencedChan returns a new instance's Fenced channel.
func (f *leaseFence) fencedChan() chan struct{} {
	if !f.on {
		return neverFenced
	}
	return make(chan struct{})
}

// newLeaseFence returns a fence, tracking instances only if on (strict
// mode).
func newLeaseFence(on bool, mono func() core.Mono, log *slog.Logger, obs LeaseObserver) *leaseFence {
	return &leaseFence{on: on, mono: mono, log: log, obs: obs, until: core.NoLease, armed: core.NoLease, runs: map[*childRun]core.Mono{}, stops: map[*childRun]bool{}}
}

// setUntil records core's new node deadline (Ready.LeaseUntil, non-zero;
// only in strict mode).
func (f *leaseFence) setUntil(d core.Mono) {
	if !f.on {
		return
	}
	f.mu.Lock()
	f.until = d
	f.rearmLocked()
	f.mu.Unlock()
	if f.obs != nil {
		f.obs.LeaseUntil(d)
	}
}

// add starts fencing a new instance. Its deadline is the node's, so the
// timer moves only if it is set for later than that (starting 10k
// children must not rescan every instance 10k times).
func (f *leaseFence) add(r *childRun) {
	if !f.on {
		return
	}
	f.mu.Lock()
	f.runs[r] = core.NoLease
	if f.until < f.armed {
		f.rearmLocked()
	}
	f.mu.Unlock()
}

// stopped caps a stopped instance's deadline at the one in force now
// (once per instance).
func (f *leaseFence) stopped(r *childRun) {
	if !f.on {
		return
	}
	f.mu.Lock()
	until := f.until
	c, live := f.runs[r]
	first := live && !f.stops[r]
	if first {
		// The instance's effective deadline, min(cap, until), is the same
		// now: the timer needs no change until setUntil moves until.
		f.stops[r] = true
		f.runs[r] = min(c, until)
	}
	f.mu.Unlock()
	if !first {
		return
	}
	if f.obs != nil {
		f.obs.InstanceStopped(r.spec.ID, r.instance, until)
	}
}

// remove forgets an instance whose Run has returned.
func (f *leaseFence) remove(r *childRun) {
	if !f.on {
		return
	}
	f.mu.Lock()
	delete(f.runs, r)
	delete(f.stops, r)
	f.mu.Unlock()
}

// count returns how many instances the fence has killed.
func (f *leaseFence) count() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fenced
}

// rearmLocked sets the timer to the earliest deadline of an unfenced
// instance.
func (f *leaseFence) rearmLocked() {
	f.rearms++
	next := core.NoLease
	f.scanned += uint64(len(f.runs))
	for r, c := range f.runs {
		if !r.isFenced() {
			next = min(next, c, f.until)
		}
	}
	f.armed = next
	if next == core.NoLease {
		if f.timer != nil {
			f.timer.Stop()
		}
		return
	}
	wait := time.Duration(next - f.mono())
	if f.timer == nil {
		f.timer = time.AfterFunc(wait, f.fire)
		return
	}
	f.timer.Reset(wait)
}

// fire fences every instance whose deadline has passed.
func (f *leaseFence) fire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.mono()
	for r, c := range f.runs {
		if r.isFenced() || min(c, f.until) > now {
			continue
		}
		r.fence()
		f.fenced++
		f.log.Warn("lease deadline passed: child fenced", "child", string(r.spec.ID), "instance", r.instance,
			"late", time.Duration(now-min(c, f.until)).String())
	}
	f.rearmLocked()
}

// LeaseObservers tells every observer in turn.
type LeaseObservers []LeaseObserver

// LeaseUntil calls LeaseUntil of each observer.
func (os LeaseObservers) LeaseUntil(until core.Mono) {
	for _, o := range os {
		o.LeaseUntil(until)
	}
}

// InstanceStopped calls InstanceStopped of each observer.
func (os LeaseObservers) InstanceStopped(id core.ChildID, instance uint64, until core.Mono) {
	for _, o := range os {
		o.InstanceStopped(id, instance, until)
	}
}
