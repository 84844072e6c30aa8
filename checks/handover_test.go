package checks

import "testing"

// TestHandoverStateAfterReceiverCrash: a handed-over state that no
// instance on the receiver got is a violation — unless the receiver
// crashed after acknowledging it (its stash lived in memory), in which
// case instances of its later incarnation are not judged.
func TestHandoverStateAfterReceiverCrash(t *testing.T) {
	h := Handover{Child: "c", From: "n1", To: "n2", State: "s1", At: 100, ToIncarnation: 3}
	sameLife := []Instance{{Child: "c", Node: "n2", Incarnation: 3, Instance: 1, Start: 150, End: -1}}
	if vs := HandoverState([]Handover{h}, sameLife, 1000); len(vs) != 1 {
		t.Fatalf("state never given to the acknowledging incarnation's instance: %v, want one violation", vs)
	}
	nextLife := []Instance{{Child: "c", Node: "n2", Incarnation: 4, Instance: 1, Start: 150, End: -1}}
	if vs := HandoverState([]Handover{h}, nextLife, 1000); len(vs) != 0 {
		t.Fatalf("receiver crashed after the ack, its next life judged: %v", vs)
	}
	given := []Instance{{Child: "c", Node: "n2", Incarnation: 3, Instance: 1, Start: 150, End: -1, Given: []string{"s1"}, Received: "s1"}}
	if vs := HandoverState([]Handover{h}, given, 1000); len(vs) != 0 {
		t.Fatalf("state given: %v", vs)
	}
}

// TestHandoverStateGivenOnlyToAnInstanceThatNeverRan: a state given only
// to an instance that exited before it ran is lost (core before 8e5c14d:
// the retransmission to its restart was taken for a duplicate, acked once
// the restart ran, and the sender stopped). An instance that ran with the
// state, or still exists when the run ends, keeps it.
func TestHandoverStateGivenOnlyToAnInstanceThatNeverRan(t *testing.T) {
	h := Handover{Child: "c", From: "n1", To: "n2", State: "s1", At: 200, ToIncarnation: 3}
	neverRan := Instance{Child: "c", Node: "n2", Incarnation: 3, Instance: 1, Start: 100, End: 120, Given: []string{"s1"}, Received: "s1"}
	cases := []struct {
		name      string
		instances []Instance
		want      int
	}{
		{"restart ran without the state", []Instance{neverRan,
			{Child: "c", Node: "n2", Incarnation: 3, Instance: 2, Start: 130, Ran: 190, End: -1}}, 1},
		{"no other instance", []Instance{neverRan}, 1},
		{"restart ran with the state", []Instance{neverRan,
			{Child: "c", Node: "n2", Incarnation: 3, Instance: 2, Start: 130, Ran: 190, End: -1, Given: []string{"s1"}, Received: "s1"}}, 0},
		{"ran with the state, then crashed", []Instance{
			{Child: "c", Node: "n2", Incarnation: 3, Instance: 1, Start: 100, Ran: 110, End: 300, Given: []string{"s1"}, Received: "s1"},
			{Child: "c", Node: "n2", Incarnation: 3, Instance: 2, Start: 300, Ran: 310, End: -1}}, 0},
		{"still starting when the run ends", []Instance{
			{Child: "c", Node: "n2", Incarnation: 3, Instance: 1, Start: 100, End: -1, Given: []string{"s1"}, Received: "s1"}}, 0},
		{"never ran, on another node", []Instance{
			{Child: "c", Node: "n3", Incarnation: 3, Instance: 1, Start: 100, End: 120, Given: []string{"s1"}, Received: "s1"}}, 0},
	}
	for _, c := range cases {
		if vs := HandoverState([]Handover{h}, c.instances, 1000); len(vs) != c.want {
			t.Errorf("%s: %v, want %d violations", c.name, vs, c.want)
		}
	}
}
