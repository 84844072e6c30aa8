package core

import (
	"slices"
	"testing"
	"time"
)

// TestRepeatedFullClaimListIsNoNews: a full claim list that repeats what
// a node knows of a peer's claims changes no registry entry and asks for
// no reconciliation, but still moves the claims' version, so a reordered
// older retraction cannot undo them; a full list that leaves a claim out
// retracts it; and a list not in strictly increasing id order (a repeated
// id) gets the full search for retractions, so a repeat cannot stand in
// for a missing id.
func TestRepeatedFullClaimListIsNoNews(t *testing.T) {
	n, err := NewNode(DefaultConfig("n1"), Instant(1000*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	news := func() (dirty, changed []ChildID) {
		dirty, changed = n.dirtyOrder, n.batch.changedIDs
		n.dirty, n.dirtyIDs, n.dirtyOrder = false, nil, nil
		n.batch.changedSet, n.batch.changedIDs = nil, nil
		return dirty, changed
	}
	claims := func(ids ...ChildID) []Claim {
		var out []Claim
		for _, id := range ids {
			out = append(out, Claim{ID: id, Epoch: 1, Instance: uint64(id[0]), Active: true})
		}
		return out
	}
	held := func() []ChildID { return n.reg.claimIDs("n2") }

	n.applyClaims("n2", claims("a", "b", "c"), true, 1)
	if dirty, changed := news(); !slices.Equal(dirty, []ChildID{"a", "b", "c"}) || !slices.Equal(changed, []ChildID{"a", "b", "c"}) {
		t.Fatalf("first full list: dirty %v, changed %v; want a b c both", dirty, changed)
	}
	n.applyClaims("n2", claims("a", "b", "c"), true, 2)
	if dirty, changed := news(); len(dirty) > 0 || len(changed) > 0 {
		t.Fatalf("repeated full list: dirty %v, changed %v; want none", dirty, changed)
	}
	if c, _ := n.reg.claim("n2", "b"); c.Ver != 2 {
		t.Fatalf("repeated full list: b's claim has version %d, want 2", c.Ver)
	}
	n.applyClaims("n2", []Claim{{ID: "b", Removed: true}}, false, 1) // reordered, older than version 2
	if !slices.Equal(held(), []ChildID{"a", "b", "c"}) {
		t.Fatalf("an older retraction undid a repeated claim: held %v", held())
	}
	news()
	n.applyClaims("n2", claims("a", "c"), true, 3)
	if dirty, _ := news(); !slices.Equal(dirty, []ChildID{"b"}) || !slices.Equal(held(), []ChildID{"a", "c"}) {
		t.Fatalf("full list without b: dirty %v, held %v; want b retracted", dirty, held())
	}
	n.applyClaims("n2", claims("a", "a"), true, 4)
	if !slices.Equal(held(), []ChildID{"a"}) {
		t.Fatalf("full list a, a: held %v; want c retracted (a repeat is not c)", held())
	}
}

// TestListCoversClaims: only a strictly increasing list naming every held
// id covers them.
func TestListCoversClaims(t *testing.T) {
	r := newRegistry()
	for _, id := range []ChildID{"a", "c"} {
		r.setClaim("n2", Claim{ID: id})
	}
	for _, tc := range []struct {
		ids  []ChildID
		want bool
	}{
		{[]ChildID{"a", "c"}, true},
		{[]ChildID{"a", "b", "c"}, true},
		{[]ChildID{"a", "b"}, false},
		{[]ChildID{"c"}, false},
		{[]ChildID{"c", "a"}, false},
		{[]ChildID{"a", "a", "c"}, false},
		{[]ChildID{"a", "a"}, false},
		{nil, false},
	} {
		var list []Claim
		for _, id := range tc.ids {
			list = append(list, Claim{ID: id})
		}
		if got := r.listCoversClaims(list, "n2"); got != tc.want {
			t.Errorf("listCoversClaims(%v, {a c}) = %v, want %v", tc.ids, got, tc.want)
		}
	}
	if !newRegistry().listCoversClaims(nil, "n2") {
		t.Errorf("an empty list covers no claims: want true")
	}
}
