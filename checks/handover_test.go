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
