package checks

import (
	"fmt"
	"slices"
	"strings"
)

// OpKind is the kind of a client request recorded in a History.
type OpKind uint8

const (
	// OpStart starts a child (StartChildren with await).
	OpStart OpKind = iota + 1
	// OpStop stops a child (StopChildren with await, or TerminateChild).
	OpStop
	// OpLookup asks the child's owner where the child runs
	// (owner-consistency Lookup).
	OpLookup
)

// String returns "start", "stop" or "lookup".
func (k OpKind) String() string {
	switch k {
	case OpStart:
		return "start"
	case OpStop:
		return "stop"
	case OpLookup:
		return "lookup"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Outcome is what the client learned about a request.
type Outcome uint8

const (
	// OutcomeOK: the request was applied (start: started; stop: stopped;
	// lookup: found, with Nodes and Epoch).
	OutcomeOK Outcome = iota + 1
	// OutcomeAlreadyStarted: a start found the child already present.
	OutcomeAlreadyStarted
	// OutcomeNotFound: a stop or lookup found the child absent.
	OutcomeNotFound
	// OutcomeFailed: the request was definitely not applied (invalid spec,
	// partitioned, start failed). It constrains nothing.
	OutcomeFailed
	// OutcomeUnknown: the client never learned the outcome (timeout, caller
	// crashed); the request may or may not have been applied, at any instant
	// after Call. Return is ignored.
	OutcomeUnknown
)

// String returns the outcome's short name ("ok", "already-started", ...).
func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeAlreadyStarted:
		return "already-started"
	case OutcomeNotFound:
		return "not-found"
	case OutcomeFailed:
		return "failed"
	case OutcomeUnknown:
		return "unknown"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Op is one client request and its outcome.
type Op struct {
	Client int    // issuing client/session id
	Node   string // node the request was issued on
	Child  string
	Kind   OpKind
	// Call and Return are virtual instants (ns). Return is ignored for
	// OutcomeUnknown; otherwise Return >= Call.
	Call, Return int64
	Outcome      Outcome
	// Nodes are the nodes a successful start or lookup reported.
	Nodes []string
	// Epoch is the fencing epoch a successful start or lookup reported: the
	// child's registry epoch, the highest epoch assigned to any of its
	// instances (so it never decreases while the child stays present).
	// 0 means "not reported" and is never checked.
	Epoch uint64
	// Answer is what the client was told, as evidence for a reader (e.g.
	// "503 partitioned" from phubd's admin API); the checkers never read
	// it. Empty when the recorder has nothing to add (the simulator).
	Answer string
}

// String renders the op on one line, e.g.
// "c3@n1 start(a) [100,250] -> ok [n2] e7".
func (o Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "c%d@%s %s(%s) ", o.Client, o.Node, o.Kind, o.Child)
	if o.Outcome == OutcomeUnknown {
		fmt.Fprintf(&b, "[%d,∞]", o.Call)
	} else {
		fmt.Fprintf(&b, "[%d,%d]", o.Call, o.Return)
	}
	fmt.Fprintf(&b, " -> %s", o.Outcome)
	if len(o.Nodes) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(o.Nodes, ","))
	}
	if o.Epoch != 0 {
		fmt.Fprintf(&b, " e%d", o.Epoch)
	}
	if o.Answer != "" {
		fmt.Fprintf(&b, " (%s)", o.Answer)
	}
	return b.String()
}

// Validate reports an op the checkers cannot interpret: an unknown kind or
// outcome, an outcome its kind cannot have, an empty child id, or
// Return < Call on a known outcome.
//
// Allowed outcomes: start: ok, already-started, failed, unknown; stop: ok,
// not-found, failed, unknown; lookup: ok, not-found, failed, unknown.
func (o Op) Validate() error {
	if o.Child == "" {
		return fmt.Errorf("op %v: empty child id", o)
	}
	if o.Outcome < OutcomeOK || o.Outcome > OutcomeUnknown {
		return fmt.Errorf("op %v: invalid outcome", o)
	}
	switch o.Kind {
	case OpStart:
		if o.Outcome == OutcomeNotFound {
			return fmt.Errorf("op %v: a start cannot be not-found", o)
		}
	case OpStop, OpLookup:
		if o.Outcome == OutcomeAlreadyStarted {
			return fmt.Errorf("op %v: a %s cannot be already-started", o, o.Kind)
		}
	default:
		return fmt.Errorf("op %v: invalid kind", o)
	}
	if o.Outcome != OutcomeUnknown && o.Return < o.Call {
		return fmt.Errorf("op %v: returns before its call", o)
	}
	return nil
}

// History is the recorded client history of one run, in the order the
// recorder added the ops (usually call order). It is a plain value: copy it
// freely, but do not share the Ops slice between writers.
type History struct {
	Ops []Op
}

// Add appends op and returns its index in h.Ops.
func (h *History) Add(op Op) int {
	h.Ops = append(h.Ops, op)
	return len(h.Ops) - 1
}

// Len returns the number of ops.
func (h History) Len() int { return len(h.Ops) }

// Validate returns the first op that Op.Validate rejects, with its index.
func (h History) Validate() error {
	for i, op := range h.Ops {
		if err := op.Validate(); err != nil {
			return fmt.Errorf("history op %d: %w", i, err)
		}
	}
	return nil
}

// Children returns the distinct child ids of the history, sorted.
func (h History) Children() []string {
	seen := make(map[string]bool)
	var out []string
	for _, op := range h.Ops {
		if !seen[op.Child] {
			seen[op.Child] = true
			out = append(out, op.Child)
		}
	}
	slices.Sort(out)
	return out
}

// ForChild returns the sub-history of one child, in the same order.
func (h History) ForChild(child string) History {
	var out History
	for _, op := range h.Ops {
		if op.Child == child {
			out.Ops = append(out.Ops, op)
		}
	}
	return out
}

// String renders the history one op per line, prefixed by its index.
func (h History) String() string {
	var b strings.Builder
	for i, op := range h.Ops {
		fmt.Fprintf(&b, "%4d %s\n", i, op)
	}
	return b.String()
}

// Describe summarizes the history: op counts by kind and outcome, children,
// clients, and the number of unknown outcomes (the porcupine cost driver).
func (h History) Describe() string {
	var kinds [OpLookup + 1]int
	var outcomes [OutcomeUnknown + 1]int
	clients := make(map[int]bool)
	for _, op := range h.Ops {
		if op.Kind <= OpLookup {
			kinds[op.Kind]++
		}
		if op.Outcome <= OutcomeUnknown {
			outcomes[op.Outcome]++
		}
		clients[op.Client] = true
	}
	return fmt.Sprintf("%d ops (start %d, stop %d, lookup %d; ok %d, already-started %d, not-found %d, failed %d, unknown %d) over %d children, %d clients",
		len(h.Ops), kinds[OpStart], kinds[OpStop], kinds[OpLookup],
		outcomes[OutcomeOK], outcomes[OutcomeAlreadyStarted], outcomes[OutcomeNotFound],
		outcomes[OutcomeFailed], outcomes[OutcomeUnknown], len(h.Children()), len(clients))
}
