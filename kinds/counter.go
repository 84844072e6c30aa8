package kinds

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// CounterKind is the kind name of the counter child.
const CounterKind = "counter"

// DefaultCounterInterval is the counter's tick period when the spec has no
// "interval_ms" parameter.
const DefaultCounterInterval = 100 * time.Millisecond

// Counters builds counter children and lets tests read their values. A
// counter adds one to its count every "interval_ms" milliseconds (spec
// parameter, default 100). Its state is the count in decimal: a new
// instance started with handover state, or handed state while running,
// continues from it. Use one Counters per hub to read that hub's values.
type Counters struct {
	mu  sync.RWMutex
	cur map[core.ChildID]*counter
}

// CounterInfo describes the latest instance of a counter on one hub.
type CounterInfo struct {
	// Count is the current count.
	Count int64
	// From is the count the instance started from (its handover state),
	// or the last state handed to it while running.
	From int64
	// Handover is true if the instance received handover state.
	Handover bool
	Epoch    uint64
	Instance uint64
	// Running is false once the instance has returned.
	Running bool
}

// NewCounters returns an empty set of counters.
func NewCounters() *Counters { return &Counters{cur: map[core.ChildID]*counter{}} }

// Factory is the phub.ChildFactory of the counter kind.
func (cs *Counters) Factory(spec core.ChildSpec) (phub.Child, error) {
	interval := DefaultCounterInterval
	if v, ok := spec.Params["interval_ms"]; ok {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("%w: counter %q: interval_ms %q: want a positive integer", phub.ErrInvalidSpec, spec.ID, v)
		}
		interval = time.Duration(ms) * time.Millisecond
	}
	return &counter{set: cs, interval: interval}, nil
}

// Value returns the count of the latest instance of id on this hub.
func (cs *Counters) Value(id core.ChildID) (int64, bool) {
	i, ok := cs.Info(id)
	return i.Count, ok
}

// Info returns the latest instance of id on this hub.
func (cs *Counters) Info(id core.ChildID) (CounterInfo, bool) {
	cs.mu.RLock()
	c := cs.cur[id]
	cs.mu.RUnlock()
	if c == nil {
		return CounterInfo{}, false
	}
	return CounterInfo{Count: c.count.Load(), From: c.from.Load(), Handover: c.handover.Load(),
		Epoch: c.epoch.Load(), Instance: c.instance.Load(), Running: c.running.Load()}, true
}

type counter struct {
	set      *Counters
	interval time.Duration

	count, from       atomic.Int64
	epoch, instance   atomic.Uint64
	handover, running atomic.Bool
}

// Handover returns the count as the state handed to the next instance.
func (c *counter) Handover() []byte {
	return []byte(strconv.FormatInt(c.count.Load(), 10))
}

func (c *counter) restore(state []byte) error {
	v, err := strconv.ParseInt(string(state), 10, 64)
	if err != nil {
		return fmt.Errorf("counter: bad handover state %q: %w", state, err)
	}
	c.count.Store(v)
	c.from.Store(v)
	c.handover.Store(true)
	return nil
}

// Run counts until ctx is cancelled.
func (c *counter) Run(ctx context.Context, env phub.ChildEnv) error {
	c.epoch.Store(env.Epoch())
	c.instance.Store(env.Instance())
	if st := env.State(); st != nil {
		if err := c.restore(st); err != nil {
			return err
		}
	}
	c.running.Store(true)
	defer c.running.Store(false)
	c.set.mu.Lock()
	c.set.cur[env.ID()] = c
	c.set.mu.Unlock()
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			c.count.Add(1)
		case st := <-env.HandoverIn():
			if err := c.restore(st); err != nil {
				env.Logger().Warn("counter: ignoring handover", "err", err)
				continue
			}
			env.Confirm()
		case <-env.Signals():
		}
	}
}
