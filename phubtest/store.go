package phubtest

import (
	"errors"
	"sync"

	"github.com/phub/phub/core"
)

// MemStore is an in-memory phub.Store: a node's durable state that
// outlives the node's hub, for tests of durable mode. Every Write is
// "synced" at once. Crash makes it refuse every write until Reopen, so a
// hub being killed persists nothing more (it stops at its next write, as
// a crashed process would).
type MemStore struct {
	mu      sync.Mutex
	state   *core.Snapshot
	crashed bool
	writes  int
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{state: core.NewSnapshot()} }

// ErrCrashed is returned by a MemStore's Write between Crash and Reopen.
var ErrCrashed = errors.New("phubtest: the store's node crashed")

// Load returns a copy of the state.
func (s *MemStore) Load() (*core.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := core.NewSnapshot()
	c.Apply(s.state.Batch())
	return c, nil
}

// Reset empties the store.
func (s *MemStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = core.NewSnapshot()
	return nil
}

// Write folds b into the state, unless the store crashed.
func (s *MemStore) Write(b *core.PersistBatch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crashed {
		return ErrCrashed
	}
	s.state.Apply(b)
	s.writes++
	return nil
}

// Close does nothing: the state stays for the next incarnation.
func (s *MemStore) Close() error { return nil }

// Crash refuses every write until Reopen.
func (s *MemStore) Crash() {
	s.mu.Lock()
	s.crashed = true
	s.mu.Unlock()
}

// Reopen accepts writes again (the node restarts).
func (s *MemStore) Reopen() {
	s.mu.Lock()
	s.crashed = false
	s.mu.Unlock()
}

// Snapshot returns a copy of the state written so far.
func (s *MemStore) Snapshot() *core.Snapshot {
	c, _ := s.Load()
	return c
}
