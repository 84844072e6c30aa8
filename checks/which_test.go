package checks

import "testing"

// TestWhichChildrenGlobalJudgesWhatTheNodeKnew: a listed instance must
// have run between call and return, or have ended without its node having
// taken in the report yet (EndSeen after the call); one whose end the node
// had taken in before the call is a violation, and so are an instance that
// ran throughout unlisted and a peer hidden from the answer.
func TestWhichChildrenGlobalJudgesWhatTheNodeKnew(t *testing.T) {
	w := WhichGlobal{Origin: "n1", Call: 100, Return: 200, Peers: []string{"n2"},
		Listings: []WhichListing{{Node: "n1", Children: []WhichChild{{Child: "f1", Instance: 1}}}, {Node: "n2"}}}
	cases := []struct {
		name       string
		w          WhichGlobal
		in         Instance
		violations int
	}{
		{"ran during", w, Instance{Child: "f1", Node: "n1", Instance: 1, Start: 50, End: 150}, 0},
		{"ended before the call, report taken after it", w, Instance{Child: "f1", Node: "n1", Instance: 1, Start: 50, End: 80, EndSeen: 120}, 0},
		{"ended before the call, report taken before it", w, Instance{Child: "f1", Node: "n1", Instance: 1, Start: 50, End: 80, EndSeen: 90}, 1},
		{"ended before the call, taken at its end", w, Instance{Child: "f1", Node: "n1", Instance: 1, Start: 50, End: 80}, 1},
		{"another instance", w, Instance{Child: "f1", Node: "n1", Instance: 2, Start: 50, End: -1}, 1}, // #1 never ran
		{"a peer hidden", WhichGlobal{Origin: "n1", Call: 100, Return: 200, Peers: []string{"n2", "n3"}, Listings: w.Listings},
			Instance{Child: "f1", Node: "n1", Instance: 1, Start: 50, End: -1}, 1},
	}
	for _, c := range cases {
		if vs := WhichChildrenGlobal([]WhichGlobal{c.w}, []Instance{c.in}); len(vs) != c.violations {
			t.Errorf("%s: %d violations, want %d: %v", c.name, len(vs), c.violations, vs)
		}
	}
}
