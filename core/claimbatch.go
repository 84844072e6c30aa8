package core

// lastClaimPerChild keeps, for each child, only the last of the claim
// changes one message carries (in place; order of the kept changes
// preserved). A receiver applies a message's claims at one version and
// ignores a second change of a child at the version it just applied, so
// a stop and a start of one child in one input or batch (a renewal as a
// new generation, a handover stop followed by a restart) would reach
// peers as the first change only: the retraction without the new claim
// (peers saw no instance running until the next full claims sync), or
// the claim without its retraction.
func lastClaimPerChild(claims []Claim) []Claim {
	if len(claims) < 2 {
		return claims
	}
	last := make(map[ChildID]int, len(claims))
	for i, c := range claims {
		last[c.ID] = i
	}
	if len(last) == len(claims) {
		return claims
	}
	out := claims[:0]
	for i, c := range claims {
		if last[c.ID] == i {
			out = append(out, c)
		}
	}
	return out
}
