package phub

import (
	"errors"

	"github.com/phub/phub/core"
)

// Sentinel errors, re-exported from core so callers can test with
// errors.Is(err, phub.ErrNotFound) without importing core.
var (
	ErrNoChildren               = core.ErrNoChildren
	ErrAlreadyStarted           = core.ErrAlreadyStarted
	ErrNotFound                 = core.ErrNotFound
	ErrTimeout                  = core.ErrTimeout
	ErrPartitioned              = core.ErrPartitioned
	ErrInvalidSpec              = core.ErrInvalidSpec
	ErrStartFailed              = core.ErrStartFailed
	ErrDuplicateID              = core.ErrDuplicateID
	ErrMissingChildMapping      = core.ErrMissingChildMapping
	ErrInvalidChildMapping      = core.ErrInvalidChildMapping
	ErrChildMappingMismatch     = core.ErrChildMappingMismatch
	ErrChildReplicationMismatch = core.ErrChildReplicationMismatch
	ErrNothingToRedistribute    = core.ErrNothingToRedistribute
	ErrUnreachable              = core.ErrUnreachable
	ErrNodeDown                 = core.ErrNodeDown
	ErrRolledBack               = core.ErrRolledBack
	ErrTooManyPending           = core.ErrTooManyPending
	ErrShuttingDown             = core.ErrShuttingDown
	ErrUnknownNode              = core.ErrUnknownNode
)

// Errors of the runtime itself.
var (
	// ErrClosed is returned by calls on a hub that has been closed. It
	// also matches ErrShuttingDown.
	ErrClosed = closedError{}
	// ErrUnknownKind names a kind without a factory in Config.Kinds: at
	// the node receiving StartChildren it is an ErrInvalidSpec; at a node
	// that must run the child, the start fails (ErrStartFailed with this
	// detail).
	ErrUnknownKind = errors.New("unknown child kind")
	// ErrDuplicateHook is returned by RegisterHook for a (kind, id) pair
	// that is already registered.
	ErrDuplicateHook = errors.New("hook id already registered")
)

type closedError struct{}

func (closedError) Error() string        { return "phub: hub closed" }
func (closedError) Is(target error) bool { return target == core.ErrShuttingDown }
