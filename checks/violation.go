package checks

import (
	"cmp"
	"fmt"
	"slices"
)

// Violation is one broken guarantee, found by the check named in Check.
// Child and Node are empty when the violation is not about one child or
// node. Detail is a human-readable sentence with the evidence (instants,
// epochs, node lists).
type Violation struct {
	Check  string
	Child  string
	Node   string
	Detail string
}

// String renders the violation on one line: "check child@node: detail".
func (v Violation) String() string {
	where := v.Child
	if v.Node != "" {
		where += "@" + v.Node
	}
	if where == "" {
		return fmt.Sprintf("%s: %s", v.Check, v.Detail)
	}
	return fmt.Sprintf("%s %s: %s", v.Check, where, v.Detail)
}

// Names of the checks, as they appear in Violation.Check.
const (
	CheckSingularity    = "singularity"
	CheckReplication    = "replication"
	CheckNoLostChildren = "no-lost-children"
	CheckNoResurrection = "no-resurrection"
	CheckConvergence    = "convergence"
	CheckEpochs         = "epochs-increase"
	CheckQuorum         = "quorum"
	CheckBounded        = "bounded"
	CheckHandoverState  = "handover-state"
	CheckRestarts       = "restart-intensity"
	CheckPropagation    = "propagation-bound"
	CheckMasterRule     = "active-passive-master"
	CheckWhichGlobal    = "which-children-global"
	CheckHooks          = "hooks"
	// CheckCordon: a cordoned node runs no (unpinned) child at quiescence.
	CheckCordon = "cordon"
	// CheckRetransmissions: no routed request is delivered more often
	// than its retransmissions, forwards and duplicates allow (the
	// simulator counts deliveries).
	CheckRetransmissions = "retransmission-storm"
)

// SortViolations sorts vs in place by (Check, Child, Node, Detail) and
// returns it, so that every check's output is deterministic.
func SortViolations(vs []Violation) []Violation {
	slices.SortFunc(vs, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Check, b.Check), cmp.Compare(a.Child, b.Child),
			cmp.Compare(a.Node, b.Node), cmp.Compare(a.Detail, b.Detail))
	})
	return vs
}
