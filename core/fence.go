package core

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Fence is the fencing token of one started instance: unique cluster-wide,
// even when a partition lets two nodes start the same child at the same
// epoch, because only one node can mint a given (Node, Incarnation,
// Instance). Tokens are totally ordered: Epoch first, then Incarnation,
// Instance and Node. A higher epoch always wins; among tokens of one
// epoch, a local restart (higher Instance) or a restarted node (higher
// Incarnation) wins over its predecessor, and two nodes of a split get two
// different tokens whose order is fixed, not meaningful. An external store
// that accepts a write only with a token not lower than the last one it
// saw therefore never interleaves writes of two instances.
type Fence struct {
	Epoch       uint64
	Incarnation uint64
	Instance    uint64
	Node        NodeID
}

// fenceDigits is the fixed width of each number in Fence.String.
const fenceDigits = 20

// Compare returns -1, 0 or +1 as f orders before, equal to or after g.
func (f Fence) Compare(g Fence) int {
	if c := cmp.Compare(f.Epoch, g.Epoch); c != 0 {
		return c
	}
	if c := cmp.Compare(f.Incarnation, g.Incarnation); c != 0 {
		return c
	}
	if c := cmp.Compare(f.Instance, g.Instance); c != 0 {
		return c
	}
	return strings.Compare(string(f.Node), string(g.Node))
}

// String renders the token as "<epoch>.<incarnation>.<instance>.<node>",
// each number zero-padded to 20 digits, so that comparing two strings byte
// by byte gives the same order as Compare.
func (f Fence) String() string {
	return fmt.Sprintf("%0*d.%0*d.%0*d.%s", fenceDigits, f.Epoch, fenceDigits, f.Incarnation, fenceDigits, f.Instance, f.Node)
}

// ParseFence parses the output of Fence.String.
func ParseFence(s string) (Fence, error) {
	parts := strings.SplitN(s, ".", 4)
	if len(parts) != 4 || parts[3] == "" {
		return Fence{}, fmt.Errorf("fence %q: want <epoch>.<incarnation>.<instance>.<node>", s)
	}
	var nums [3]uint64
	for i := range nums {
		if len(parts[i]) != fenceDigits {
			return Fence{}, fmt.Errorf("fence %q: field %d: want %d digits", s, i+1, fenceDigits)
		}
		n, err := strconv.ParseUint(parts[i], 10, 64)
		if err != nil {
			return Fence{}, fmt.Errorf("fence %q: field %d: %w", s, i+1, err)
		}
		nums[i] = n
	}
	return Fence{Epoch: nums[0], Incarnation: nums[1], Instance: nums[2], Node: NodeID(parts[3])}, nil
}
