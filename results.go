package phub

import (
	"fmt"

	"github.com/phub/phub/core"
)

// ChildResult is the outcome of a request for one child.
type ChildResult struct {
	ID core.ChildID
	// Nodes are the nodes the child runs (or was placed) on; for a stop
	// or terminate, the nodes it ran on.
	Nodes []core.NodeID
	// Epoch is the child's fencing epoch: the started generation, or for
	// a stop or terminate the generation that ended.
	Epoch uint64
	// Err is nil on success; otherwise it names the child and wraps one
	// of the sentinel errors (test with errors.Is).
	Err error
	// Metadata is set by lookups.
	Metadata core.Metadata
}

// Results are the per-child outcomes of a request, in request order.
type Results []ChildResult

// OK reports whether every child succeeded.
func (rs Results) OK() bool {
	for _, r := range rs {
		if r.Err != nil {
			return false
		}
	}
	return true
}

// IDs returns the ids of the children that succeeded, in request order.
func (rs Results) IDs() []core.ChildID {
	var out []core.ChildID
	for _, r := range rs {
		if r.Err == nil {
			out = append(out, r.ID)
		}
	}
	return out
}

// Errors returns the errors of the children that failed, in request order;
// each names its child.
func (rs Results) Errors() []error {
	var out []error
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, r.Err)
		}
	}
	return out
}

// Failed returns the results of the children that failed.
func (rs Results) Failed() Results {
	var out Results
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, r)
		}
	}
	return out
}

// StartResult is StartChildren's outcome. Without Await only Initiated is
// set; with Await, Results has one entry per spec.
type StartResult struct {
	Initiated bool
	// RolledBack is set when Rollback() stopped the started children
	// because some failed.
	RolledBack bool
	Results
}

// StopResult is StopChildren's outcome. Without Await only Initiated is
// set; with Await, Results has one entry per id.
type StopResult struct {
	Initiated bool
	Results
}

// childError is a per-child error: it names the child and wraps the
// sentinel error of its code.
type childError struct {
	id     core.ChildID
	err    error
	detail string
}

func (e *childError) Error() string {
	if e.detail != "" {
		return fmt.Sprintf("child %q: %v: %s", e.id, e.err, e.detail)
	}
	return fmt.Sprintf("child %q: %v", e.id, e.err)
}

func (e *childError) Unwrap() error { return e.err }

func convertResults(in []core.ChildResult) Results {
	if in == nil {
		return nil
	}
	out := make(Results, len(in))
	for i, r := range in {
		out[i] = ChildResult{ID: r.ID, Nodes: r.Nodes, Epoch: r.Epoch, Metadata: r.Metadata}
		if err := r.Err.Err(); err != nil {
			out[i].Err = &childError{id: r.ID, err: err, detail: r.Detail}
		}
	}
	return out
}
