package phub

import (
	"errors"
	"fmt"

	"github.com/phub/phub/core"
)

// Store keeps a durable node's state (Config.Store): what core emits in
// Ready.Persist, and what the node recovers from when it boots. The
// store package's WAL is the implementation phubd uses; tests may use an
// in-memory one.
type Store interface {
	// Load returns the state written so far (empty for a new store). An
	// error wrapping core.ErrCorruptSnapshot means the state cannot be
	// trusted: New then logs it, calls Reset and boots empty, recovering
	// from its peers. Any other error fails New.
	Load() (*core.Snapshot, error)
	// Reset discards the state after Load found it corrupt.
	Reset() error
	// Write makes b durable — written and synced — before it returns nil.
	// After an error the store's state is unknown: the hub stops.
	Write(b *core.PersistBatch) error
	// Close releases the store; the hub calls it when its loop has ended.
	Close() error
}

// ErrStorage is wrapped by Hub.Err when the hub stopped because its Store
// failed to write (a full disk, an I/O error): a durable node stops at
// once rather than acknowledge what it could not make durable.
var ErrStorage = errors.New("durable store failed")

// bootNode creates the core node: in durable mode (Config.Store) it
// recovers from the store's state, choosing an incarnation above the
// recorded one.
func bootNode(c *Config, base core.Instant) (*core.Node, error) {
	if c.Store == nil {
		return core.NewNode(c.Core, base)
	}
	snap, err := c.Store.Load()
	if errors.Is(err, core.ErrCorruptSnapshot) {
		c.Logger.Error("durable state is corrupt: it is set aside and the node boots empty, recovering the registry from its peers",
			"node", string(c.Core.Name), "err", err)
		if rerr := c.Store.Reset(); rerr != nil {
			return nil, fmt.Errorf("resetting the corrupt durable store: %w", rerr)
		}
		return core.NewNodeLostState(c.Core, base)
	}
	if err != nil {
		return nil, fmt.Errorf("loading the durable store: %w", err)
	}
	c.Core.Incarnation = snap.NextIncarnation(c.Core.Incarnation)
	n, err := core.NewNodeFromSnapshot(c.Core, base, snap)
	if err != nil {
		return nil, err
	}
	if snap != nil {
		c.Logger.Info("durable state recovered", "node", string(c.Core.Name), "entries", n.Recovered(),
			"local_children_before", len(snap.Local), "last_view", snap.View, "incarnation", c.Core.Incarnation)
	}
	return n, nil
}

// persist writes a Ready's Persist batch before anything else of that
// Ready is released. On failure it stops the hub (fail-stop) and reports
// false: the Ready's messages, effects and replies are dropped, so no
// acknowledgement is given that the disk does not hold.
func (h *Hub) persist(b *core.PersistBatch) bool {
	if h.cfg.Store == nil || b.Empty() {
		return true
	}
	if h.storeErr != nil {
		return false
	}
	if err := h.cfg.Store.Write(b); err != nil {
		h.storeErr = fmt.Errorf("phub: node %q: %w: %v", h.name, ErrStorage, err)
		h.log.Error("stopping: the durable store failed to write; nothing of this batch is released", "err", err)
		h.identity.stopErr = h.storeErr
		close(h.identity.stopped)
		return false
	}
	h.persistedBatches.Add(1)
	return true
}

// PersistedBatches returns how many Persist batches the hub has written
// to its Store (each one write and one sync).
func (h *Hub) PersistedBatches() uint64 { return h.persistedBatches.Load() }
