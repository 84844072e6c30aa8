package core

import (
	"fmt"
	"slices"
	"time"
)

// NodeID names a node in the cluster. It is stable across restarts; a
// restarted node is told apart by its Incarnation.
type NodeID string

// ChildID names a child. It is unique per hub.
type ChildID string

// Instant is a point on the driver's clock in nanoseconds. core never reads a
// clock: every input carries the current Instant.
type Instant int64

// Add returns i moved forward by d.
func (i Instant) Add(d time.Duration) Instant { return i + Instant(d) }

// Sub returns the duration i-j.
func (i Instant) Sub(j Instant) time.Duration { return time.Duration(i - j) }

// RestartPolicy says when a child that exits is started again on the same
// node. It follows Erlang/ProcessHub semantics.
type RestartPolicy uint8

const (
	// Permanent children are always restarted.
	Permanent RestartPolicy = iota
	// Transient children are restarted only after an abnormal exit.
	Transient
	// Temporary children are never restarted.
	Temporary
)

// String returns the policy's name.
func (p RestartPolicy) String() string {
	switch p {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	}
	return fmt.Sprintf("restart(%d)", uint8(p))
}

// MarshalText encodes the policy by name (JSON uses the name).
func (p RestartPolicy) MarshalText() ([]byte, error) {
	if p > Temporary {
		return nil, fmt.Errorf("%w: unknown restart policy %d", ErrInvalidSpec, uint8(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText decodes a policy name ("" means permanent).
func (p *RestartPolicy) UnmarshalText(b []byte) error {
	v, err := ParseRestartPolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParseRestartPolicy parses "permanent", "transient" or "temporary".
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	switch s {
	case "", "permanent":
		return Permanent, nil
	case "transient":
		return Transient, nil
	case "temporary":
		return Temporary, nil
	}
	return 0, fmt.Errorf("%w: restart policy %q (want permanent, transient or temporary)", ErrInvalidSpec, s)
}

// ChildSpec describes a child: what to run and how to treat its exits.
// Kind selects the implementation in the driver (e.g. "exec", "counter").
type ChildSpec struct {
	ID      ChildID           `json:"id"`
	Kind    string            `json:"kind,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Restart RestartPolicy     `json:"restart,omitempty"`
}

// Validate reports a spec that cannot be started, wrapping ErrInvalidSpec.
func (s ChildSpec) Validate() error {
	if s.ID == "" {
		return fmt.Errorf("%w: empty child id", ErrInvalidSpec)
	}
	if len(s.ID) > MaxChildIDBytes {
		return fmt.Errorf("%w: child id longer than %d bytes", ErrInvalidSpec, MaxChildIDBytes)
	}
	if s.Restart > Temporary {
		return fmt.Errorf("%w: child %q: unknown restart policy %d", ErrInvalidSpec, s.ID, s.Restart)
	}
	return nil
}

// MaxChildIDBytes bounds the length of a child id.
const MaxChildIDBytes = 256

// Metadata is free-form data stored with a registry entry. The key "tag" is
// indexed by ByTag, as in ProcessHub's tag_query.
type Metadata map[string]string

// Replica is one running (or starting) instance of a child on a node.
type Replica struct {
	Node NodeID `json:"node"`
	// Incarnation of the node that runs the instance, as the membership
	// of the node that reads the registry knows it.
	Incarnation uint64 `json:"inc"`
	// Epoch is the fencing epoch of this instance: per child, strictly
	// increasing along every chain of starts the cluster has seen.
	Epoch uint64 `json:"epoch"`
	// Active is false for passive replicas in active/passive replication.
	Active bool `json:"active"`
}

// Entry is the registry's record of one child: its spec, its metadata, and
// the replicas that run it.
type Entry struct {
	Spec     ChildSpec `json:"spec"`
	Metadata Metadata  `json:"meta,omitempty"`
	// Epoch is the highest epoch assigned to any instance of this child.
	Epoch uint64 `json:"epoch"`
	// Stopped marks a tombstone: the child was stopped at Epoch and must
	// not run again unless started anew with a higher epoch.
	Stopped bool `json:"stopped,omitempty"`
	// Holder is the node that started the instance at Epoch (the one
	// allowed to run it without a takeover); By is the node that wrote
	// this version (tie-break between concurrent writers).
	Holder NodeID `json:"holder,omitempty"`
	By     NodeID `json:"by,omitempty"`
	// Pinned holds the guided strategy's node list for this child.
	Pinned []NodeID `json:"pinned,omitempty"`
	// Reason says why a tombstone was written (stopped, exited, failed).
	Reason string `json:"reason,omitempty"`
	// StoppedAt is when the tombstone was created (for garbage collection).
	StoppedAt Instant `json:"stoppedAt,omitempty"`
	// Replicas lists the instances, sorted by node.
	Replicas []Replica `json:"replicas,omitempty"`
}

// Nodes returns the nodes of the entry's replicas in sorted order.
func (e *Entry) Nodes() []NodeID {
	out := make([]NodeID, len(e.Replicas))
	for i, r := range e.Replicas {
		out[i] = r.Node
	}
	return out
}

// Clone returns a copy of e with its own Replicas. Spec.Params, Metadata
// and Pinned are shared: core never mutates them after an entry is
// created, and callers must not either.
func (e *Entry) Clone() *Entry {
	c := *e
	c.Replicas = append([]Replica(nil), e.Replicas...)
	return &c
}

// sortedNodes sorts ns in place and returns it. slices.Sort, not
// sort.Slice: the generic sort compares strings directly, without a
// closure call and reflection-based swaps (sort.Slice was 10% of the
// simulator benchmark's CPU). Equal strings are indistinguishable, so the
// result is the same.
func sortedNodes(ns []NodeID) []NodeID {
	slices.Sort(ns)
	return ns
}

func sortedKeys[V any](m map[NodeID]V) []NodeID {
	out := make([]NodeID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return sortedNodes(out)
}

func sortedChildKeys[V any](m map[ChildID]V) []ChildID {
	out := make([]ChildID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out) // see sortedNodes
	return out
}
