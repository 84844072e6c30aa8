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
	ErrBatchTooLarge            = core.ErrBatchTooLarge
	// ErrLimitExceeded refuses input over a field of core.Limits (the
	// README's limits table); the message names the field.
	ErrLimitExceeded = core.ErrLimitExceeded
	// ErrNoUncordonedNode refuses a cordon of the last uncordoned member,
	// and a start while every member is cordoned.
	ErrNoUncordonedNode = core.ErrNoUncordonedNode
	// ErrCorruptSnapshot names durable state that cannot be trusted (a
	// Store's Load); the hub then boots empty and recovers from peers.
	ErrCorruptSnapshot = core.ErrCorruptSnapshot
	// ErrStaleIncarnation: a node recovering from a Store was given an
	// incarnation not above the recorded one (New picks one above).
	ErrStaleIncarnation = core.ErrStaleIncarnation
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
	// ErrUnknownHookKind is returned by RegisterHook for a kind that is
	// not one of core.AllHooks (such a handler would never run).
	ErrUnknownHookKind = errors.New("unknown hook kind")
	// ErrRollbackNeedsAwait is returned by StartChildren when Rollback()
	// is given without Await(): an unawaited start never learns which
	// children failed, so it could not roll them back.
	ErrRollbackNeedsAwait = errors.New("Rollback() requires Await()")
	// ErrAdvertiseAddrMismatch is returned by New when
	// Config.Core.AdvertiseAddr and the transport's advertise address are
	// both set and differ (peers would learn two addresses for one node).
	ErrAdvertiseAddrMismatch = errors.New("advertise addresses differ")
	// ErrResetClusterSize is returned by ResetClusterSize for a size
	// below 1 or a hub without the majority_quorum strategy.
	ErrResetClusterSize = errors.New("cannot reset the cluster size")
)

type closedError struct{}

func (closedError) Error() string        { return "phub: hub closed" }
func (closedError) Is(target error) bool { return target == core.ErrShuttingDown }
