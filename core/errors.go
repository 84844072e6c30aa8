package core

import "errors"

// Sentinel errors. Every awaited request ends in a result or one of these,
// wrapped with context; test them with errors.Is.
var (
	ErrNoChildren               = errors.New("no children given")
	ErrAlreadyStarted           = errors.New("already started")
	ErrNotFound                 = errors.New("not found")
	ErrTimeout                  = errors.New("timeout")
	ErrPartitioned              = errors.New("partitioned")
	ErrInvalidSpec              = errors.New("invalid child spec")
	ErrStartFailed              = errors.New("start failed")
	ErrDuplicateID              = errors.New("duplicate child id in one call")
	ErrMissingChildMapping      = errors.New("missing child mapping")
	ErrInvalidChildMapping      = errors.New("invalid child mapping")
	ErrChildMappingMismatch     = errors.New("child mapping mismatch")
	ErrChildReplicationMismatch = errors.New("child replication mismatch")
	ErrNothingToRedistribute    = errors.New("nothing to redistribute")
	ErrUnreachable              = errors.New("node unreachable")
	ErrNodeDown                 = errors.New("node down")
	ErrRolledBack               = errors.New("rolled back")
	ErrTooManyPending           = errors.New("too many pending requests")
	ErrShuttingDown             = errors.New("node shutting down")
	ErrUnknownNode              = errors.New("unknown node")
	ErrBatchTooLarge            = errors.New("batch too large")
)

// ErrCode is the wire form of a sentinel error. The empty code means success.
type ErrCode string

type codedErr struct {
	code ErrCode
	err  error
}

var errOf = map[ErrCode]error{}

// codes is ordered so Code is deterministic when an error wraps several.
var codes = []codedErr{
	{"no_children", ErrNoChildren},
	{"already_started", ErrAlreadyStarted},
	{"not_found", ErrNotFound},
	{"timeout", ErrTimeout},
	{"partitioned", ErrPartitioned},
	{"invalid_spec", ErrInvalidSpec},
	{"start_failed", ErrStartFailed},
	{"duplicate_id", ErrDuplicateID},
	{"missing_child_mapping", ErrMissingChildMapping},
	{"invalid_child_mapping", ErrInvalidChildMapping},
	{"child_mapping_mismatch", ErrChildMappingMismatch},
	{"child_replication_mismatch", ErrChildReplicationMismatch},
	{"nothing_to_redistribute", ErrNothingToRedistribute},
	{"unreachable", ErrUnreachable},
	{"node_down", ErrNodeDown},
	{"rolled_back", ErrRolledBack},
	{"too_many_pending", ErrTooManyPending},
	{"shutting_down", ErrShuttingDown},
	{"unknown_node", ErrUnknownNode},
	{"batch_too_large", ErrBatchTooLarge},
	{"limit_exceeded", ErrLimitExceeded},
	{"no_uncordoned_node", ErrNoUncordonedNode},
}

func init() {
	for _, c := range codes {
		errOf[c.code] = c.err
	}
}

// Code returns the wire code of err's sentinel, or "error" if err wraps none.
func Code(err error) ErrCode {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "error"
}

// Err returns the sentinel error for code, nil for the empty code, and a
// generic error for unknown codes.
func (c ErrCode) Err() error {
	if c == "" {
		return nil
	}
	if e, ok := errOf[c]; ok {
		return e
	}
	return errors.New(string(c))
}
