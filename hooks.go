package phub

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/phub/phub/core"
)

// hookDispatcher runs hook handlers on its own goroutine, in the order the
// loop published the hooks. The queue is bounded; overflow is counted.
type hookDispatcher struct {
	log *slog.Logger
	max int

	mu       sync.Mutex
	handlers map[core.HookKind][]hookHandler
	queue    []core.Hook
	closed   bool
	wake     chan struct{} // one slot: "the queue is not empty"
	done     chan struct{} // closed when the goroutine exits

	dropped atomic.Uint64
}

type hookHandler struct {
	id string
	fn func(core.Hook)
}

func newHookDispatcher(log *slog.Logger, max int) *hookDispatcher {
	d := &hookDispatcher{log: log, max: max, handlers: map[core.HookKind][]hookHandler{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go d.run()
	return d
}

func (d *hookDispatcher) register(kind core.HookKind, id string, fn func(core.Hook)) error {
	if fn == nil {
		return fmt.Errorf("phub: hook %s/%s: nil handler", kind, id)
	}
	if !slices.Contains(core.AllHooks, kind) {
		return fmt.Errorf("phub: hook %q/%s: %w (want one of core.AllHooks)", kind, id, ErrUnknownHookKind)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, h := range d.handlers[kind] {
		if h.id == id {
			return fmt.Errorf("phub: hook %s/%s: %w", kind, id, ErrDuplicateHook)
		}
	}
	// Copy on write: the goroutine may be iterating the old slice.
	hs := append(append([]hookHandler(nil), d.handlers[kind]...), hookHandler{id, fn})
	d.handlers[kind] = hs
	return nil
}

func (d *hookDispatcher) cancel(kind core.HookKind, id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	hs := d.handlers[kind]
	for i, h := range hs {
		if h.id == id {
			out := append(append([]hookHandler(nil), hs[:i]...), hs[i+1:]...)
			if len(out) == 0 {
				delete(d.handlers, kind)
			} else {
				d.handlers[kind] = out
			}
			return true
		}
	}
	return false
}

// publish queues the hooks that have handlers. It never blocks.
func (d *hookDispatcher) publish(hooks []core.Hook) {
	if len(hooks) == 0 {
		return
	}
	d.mu.Lock()
	queued := false
	for _, h := range hooks {
		if d.closed || len(d.handlers[h.Kind]) == 0 {
			continue
		}
		if len(d.queue) >= d.max {
			if d.dropped.Add(1) == 1 {
				d.log.Warn("hook queue full; dropping hooks", "max", d.max)
			}
			continue
		}
		d.queue = append(d.queue, h)
		queued = true
	}
	d.mu.Unlock()
	if queued {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// close stops accepting hooks; the goroutine exits after running the
// queued ones.
func (d *hookDispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *hookDispatcher) run() {
	defer close(d.done)
	for range d.wake {
		for {
			d.mu.Lock()
			batch := d.queue
			d.queue = nil
			closed := d.closed
			d.mu.Unlock()
			if len(batch) == 0 {
				if closed {
					return
				}
				break
			}
			for _, h := range batch {
				d.mu.Lock()
				hs := d.handlers[h.Kind]
				d.mu.Unlock()
				for _, hh := range hs {
					d.call(hh, h)
				}
			}
		}
	}
}

func (d *hookDispatcher) call(hh hookHandler, h core.Hook) {
	defer func() {
		if p := recover(); p != nil {
			d.log.Error("hook handler panicked", "kind", string(h.Kind), "id", hh.id, "panic", p)
		}
	}()
	hh.fn(h)
}
