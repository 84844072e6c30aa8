package checks

import "fmt"

// Bounded asserts that every sample of a metadata size (registry entries,
// tombstones, gossip state, membership records ...) named what stays at or
// under bound. It reports one violation: the first sample over the bound,
// with its index, and the maximum seen.
func Bounded(what string, sizes []int, bound int) []Violation {
	first, peak := -1, 0
	for i, s := range sizes {
		if s > bound && first < 0 {
			first = i
		}
		peak = max(peak, s)
	}
	if first < 0 {
		return nil
	}
	return []Violation{{Check: CheckBounded, Detail: fmt.Sprintf("%s: sample %d is %d, over the bound %d (peak %d)",
		what, first, sizes[first], bound, peak)}}
}
