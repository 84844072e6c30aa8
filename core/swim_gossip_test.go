package core

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

// oldEnqueue and oldPiggyback are the news queue as it was: appended to,
// and stable-sorted by sends at every piggyback.
func oldEnqueue(q []swimUpdate, m Member) []swimUpdate {
	for i := range q {
		if q[i].m.Name == m.Name {
			q = append(q[:i], q[i+1:]...)
			break
		}
	}
	if len(q) >= swimQueueMax {
		most := 0
		for i := range q {
			if q[i].sends > q[most].sends {
				most = i
			}
		}
		q = append(q[:most], q[most+1:]...)
	}
	return append(q, swimUpdate{m: m})
}

func oldPiggyback(q []swimUpdate, limit int) ([]Member, []swimUpdate) {
	if len(q) == 0 {
		return nil, q
	}
	sort.SliceStable(q, func(i, j int) bool { return q[i].sends < q[j].sends })
	k := min(swimPiggybackMax, len(q))
	out := make([]Member, k)
	for i := 0; i < k; i++ {
		out[i] = q[i].m
		q[i].sends++
	}
	kept := q[:0]
	for _, u := range q {
		if u.sends < limit {
			kept = append(kept, u)
		}
	}
	return out, kept
}

// The news queue kept sorted sends the same news in the same order as
// the queue sorted at every piggyback, through any mix of news queued
// (new or replacing, past the bound) and piggybacks under limits that
// may change with the view.
func TestNewsQueueSendsAsTheSortedQueue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q, old []swimUpdate
		names := rapid.IntRange(1, 2*swimQueueMax).Draw(t, "names")
		if rapid.Bool().Draw(t, "full") {
			names += swimQueueMax // more than the queue holds
		}
		every := rapid.IntRange(1, 40).Draw(t, "every") // queued news per piggyback
		limit := rapid.IntRange(1, 12).Draw(t, "limit")
		for step := 1; step <= 3*swimQueueMax; step++ {
			if step%every != 0 {
				m := Member{Name: NodeID(fmt.Sprintf("n%d", rapid.IntRange(0, names-1).Draw(t, "name"))), Beat: uint64(step)}
				q, old = enqueueNews(q, m), oldEnqueue(old, m)
				continue
			}
			if rapid.Bool().Draw(t, "view changed") {
				limit = rapid.IntRange(1, 12).Draw(t, "limit")
			}
			var out, want []Member
			out, q = takeNews(q, limit)
			want, old = oldPiggyback(old, limit)
			if !slices.Equal(out, want) {
				t.Fatalf("sent %v, the sorted queue %v", out, want)
			}
		}
		sort.SliceStable(old, func(i, j int) bool { return old[i].sends < old[j].sends }) // as the next piggyback sees it
		if !slices.Equal(q, old) {
			t.Fatalf("queue %v, the sorted queue %v", q, old)
		}
	})
}
