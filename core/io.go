package core

import "time"

// Op names a local request.
type Op uint8

// Local request operations (the Distributor API).
const (
	OpStart Op = iota + 1
	OpStop
	OpTerminate
	OpRedistribute
	OpWhichGlobal
	OpLookup
	// OpCordon and OpUncordon cordon (and so drain) or uncordon the node
	// named by Request.Target (cordon.go).
	OpCordon
	OpUncordon
)

// String returns the operation's name.
func (o Op) String() string {
	switch o {
	case OpStart:
		return "start"
	case OpStop:
		return "stop"
	case OpTerminate:
		return "terminate"
	case OpRedistribute:
		return "redistribute"
	case OpWhichGlobal:
		return "which_global"
	case OpLookup:
		return "lookup"
	case OpCordon:
		return "cordon"
	case OpUncordon:
		return "uncordon"
	}
	return "op?"
}

// Consistency selects where a lookup is answered.
type Consistency uint8

const (
	// Local answers from this node's registry replica: fast, eventual.
	Local Consistency = iota
	// Owner routes the lookup to the child's owner: read-your-writes.
	Owner
)

// OnFailure selects what an awaited start does when some children fail.
type OnFailure uint8

const (
	// Continue keeps the children that started.
	Continue OnFailure = iota
	// Rollback stops the children that started if any failed.
	Rollback
)

// StartOptions are StartChildren's options (ProcessHub's init_opts).
type StartOptions struct {
	// Await asks for a result per child; otherwise the reply is "initiated".
	Await bool
	// Timeout bounds the whole awaited request (default Timing.RequestTimeout).
	Timeout time.Duration
	// SkipCheckExisting disables the already-started check (ProcessHub's
	// check_existing: false). With it, a start of a registered id restarts
	// nothing and reports ErrAlreadyStarted from the owner.
	SkipCheckExisting bool
	OnFailure         OnFailure
	// Metadata is stored with every started child.
	Metadata Metadata
	// ChildMapping is required by the guided distribution strategy.
	ChildMapping map[ChildID][]NodeID
}

// StopOptions are StopChildren's options.
type StopOptions struct {
	Await   bool
	Timeout time.Duration
}

// Request is a local client request. ID is chosen by the driver and echoed
// in the Reply; it must be unique among the node's pending requests.
type Request struct {
	ID          uint64
	Op          Op
	Specs       []ChildSpec
	IDs         []ChildID
	Start       StartOptions
	Stop        StopOptions
	Consistency Consistency
	// Target is the node for OpRedistribute, OpCordon and OpUncordon.
	Target NodeID
	// Timeout for OpWhichGlobal and OpLookup with Owner consistency.
	Timeout time.Duration
}

// ChildResult is the outcome for one child of a request.
type ChildResult struct {
	ID ChildID `json:"id"`
	// Nodes are where the child runs (start) or ran (stop, terminate).
	Nodes []NodeID `json:"nodes,omitempty"`
	// Epoch is the started generation (start) or the generation that
	// ended (stop, terminate).
	Epoch uint64 `json:"epoch,omitempty"`
	// Err is the error code; empty means success.
	Err ErrCode `json:"err,omitempty"`
	// Detail carries a human-readable reason for Err (e.g. exit reason).
	Detail string `json:"detail,omitempty"`
	// Metadata is returned by lookups.
	Metadata Metadata `json:"meta,omitempty"`
}

// NodeChildren lists the children running on one node.
type NodeChildren struct {
	Node     NodeID       `json:"node"`
	Children []LocalChild `json:"children"`
}

// LocalChild describes one child running on this node.
type LocalChild struct {
	ID       ChildID `json:"id"`
	Kind     string  `json:"kind,omitempty"`
	Epoch    uint64  `json:"epoch"`
	Instance uint64  `json:"instance"`
	Status   string  `json:"status"`
	Active   bool    `json:"active"`
}

// Reply answers a Request. Err is a request-level error (e.g. ErrNoChildren,
// ErrPartitioned, guided validation errors); Results are per child.
type Reply struct {
	ID uint64
	Op Op
	// Initiated is true for a non-awaited request that was accepted.
	Initiated   bool
	Err         error
	Results     []ChildResult
	RolledBack  bool
	Global      []NodeChildren
	Unreachable []NodeID
}

// ChildEventKind names a report from the driver about a local child.
type ChildEventKind uint8

// Child reports.
const (
	// ChildStarted: the instance is running.
	ChildStarted ChildEventKind = iota + 1
	// ChildStartFailed: the instance could not start (Reason says why).
	ChildStartFailed
	// ChildExited: a running instance exited; Abnormal tells a crash from
	// a normal exit.
	ChildExited
	// ChildHandoverState: the state requested by an EffectRequestHandover.
	ChildHandoverState
	// ChildHandoverConfirmed: the new instance received its handover state.
	ChildHandoverConfirmed
)

// ChildEvent is a report from the driver about a local child instance,
// identified by child id and the instance number from the effect.
type ChildEvent struct {
	Kind     ChildEventKind
	ID       ChildID
	Instance uint64
	Abnormal bool
	Reason   string
	State    []byte
}

// EffectKind names an action the driver performs on a local child.
type EffectKind uint8

// Effects on local children.
const (
	// EffectStart starts a new instance (Spec, Epoch, Instance, State).
	EffectStart EffectKind = iota + 1
	// EffectStop stops the instance.
	EffectStop
	// EffectRequestHandover asks the instance for its state; the driver
	// answers with a ChildHandoverState event.
	EffectRequestHandover
	// EffectDeliverHandover hands State to the instance; the driver
	// answers with ChildHandoverConfirmed.
	EffectDeliverHandover
	// EffectSignal delivers a redundancy signal (Active says which).
	EffectSignal
)

// Effect is an action on a local child the driver must perform.
type Effect struct {
	Kind     EffectKind
	ID       ChildID
	Instance uint64
	Epoch    uint64
	Spec     ChildSpec
	State    []byte
	Active   bool
	// Renewal marks an EffectRequestHandover of a renewal (a stale
	// generation restarted on its own node, renewWithState): the state
	// goes to the next instance here, not to another node.
	Renewal bool
	// AwaitExit (EffectStop, outside strict mode): core keeps the
	// instance's claim until the driver reports its exit (ChildExited
	// with this Instance) once the instance is gone, or until
	// MigrationConfig.ExitWait passes (exiting.go). In strict mode the
	// driver reports every stopped instance's exit.
	AwaitExit bool
}

// RegistryChange is emitted whenever the local registry view of a child
// changes; Entry is nil when the child was removed. Drivers use it to keep
// a concurrent lookup index.
type RegistryChange struct {
	ID    ChildID
	Entry *Entry
}

// Envelope is a message addressed to a peer.
type Envelope struct {
	To  NodeID
	Msg Message
	// Bytes is MessageBytes(&Msg), computed once by core when it queued
	// the message (it needs the figure to decide whether to split), so a
	// driver that counts bytes sent need not walk the message again.
	Bytes int
}

// Ready is the batch of outputs produced by inputs since the last drain.
type Ready struct {
	Messages []Envelope
	Effects  []Effect
	Replies  []Reply
	Changes  []RegistryChange
	Hooks    []Hook
	// LeaseUntil (strict mode; 0 = unchanged) is the new deadline on the
	// node's monotonic clock (SetMono) by which the driver must have
	// killed every local child, whether or not the node processes input
	// in time: a timer outside the event loop. It replaces the previous
	// deadline (it may move backwards); NoLease means no child needs one.
	// A child stopped by EffectStop keeps the deadline in force when it was
	// stopped.
	LeaseUntil Mono
	// Persist (durable mode, Config.Durable; nil otherwise or when nothing
	// changed) is what the driver must write and sync before it sends any
	// message, performs any effect or releases any reply or hook of this
	// Ready (persist.go).
	Persist *PersistBatch
}

// Empty reports whether the batch holds nothing.
func (r *Ready) Empty() bool {
	return len(r.Messages) == 0 && len(r.Effects) == 0 && len(r.Replies) == 0 && len(r.Changes) == 0 && len(r.Hooks) == 0 && r.LeaseUntil == 0 && r.Persist.Empty()
}
