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
	var last map[ChildID]int
	return lastClaimPerChildWith(claims, &last)
}

// smallClaimBatch is the most claims lastClaimPerChildWith compares
// pairwise instead of through a map.
const smallClaimBatch = 8

// lastClaimPerChildWith is lastClaimPerChild with the map of each id's
// last position kept in *last for the next call (emptied, or dropped
// after more than maxReusedSet ids as reuseSet drops a set): a stop or
// start of thousands of children flushes their claims in one input, and
// a map built anew each time grew by doubling through them (a 1,000-child
// stop's profile: its growth and allocation ~3% of core's stop CPU). A
// batch of at most smallClaimBatch claims uses no map.
func lastClaimPerChildWith(claims []Claim, last *map[ChildID]int) []Claim {
	if len(claims) < 2 {
		return claims
	}
	if len(claims) <= smallClaimBatch {
		return lastOfFew(claims)
	}
	m := *last
	if m == nil {
		m = make(map[ChildID]int, len(claims))
	}
	for i, c := range claims {
		m[c.ID] = i
	}
	out := claims
	if len(m) != len(claims) {
		out = claims[:0]
		for i, c := range claims {
			if m[c.ID] == i {
				out = append(out, c)
			}
		}
	}
	if len(claims) > maxReusedSet {
		*last = nil
	} else {
		clear(m)
		*last = m
	}
	return out
}

// lastOfFew is lastClaimPerChild for a few claims, compared pairwise.
func lastOfFew(claims []Claim) []Claim {
	out := claims[:0]
	for i, c := range claims {
		later := false
		for _, d := range claims[i+1:] {
			if d.ID == c.ID {
				later = true
				break
			}
		}
		if !later {
			out = append(out, c)
		}
	}
	return out
}
