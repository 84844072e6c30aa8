package checks

import "testing"

// TestColdSwapGapCatchesAHealthyOverlap: an instance that starts on n2
// while n1's still runs is a violation when the cluster is healthy then,
// none when the start falls in an unhealthy window, and none for a gap.
func TestColdSwapGapCatchesAHealthyOverlap(t *testing.T) {
	old := Instance{Child: "a", Node: "n1", Instance: 1, Start: 0, End: 150}
	overlapping := Instance{Child: "a", Node: "n2", Instance: 1, Start: 100, End: -1}
	after := Instance{Child: "a", Node: "n2", Instance: 1, Start: 150, End: -1}
	if vs := ColdSwapGap([]Instance{old, overlapping}, nil, 1000); len(vs) != 1 || vs[0].Check != CheckColdSwapGap || vs[0].Child != "a" {
		t.Fatalf("an overlap in a healthy cluster: got %v, want one %s violation", vs, CheckColdSwapGap)
	}
	if vs := ColdSwapGap([]Instance{old, overlapping}, []Window{{Start: 50, End: 120}}, 1000); len(vs) != 0 {
		t.Fatalf("an overlap that began in an unhealthy window: got %v, want none", vs)
	}
	if vs := ColdSwapGap([]Instance{old, after}, nil, 1000); len(vs) != 0 {
		t.Fatalf("a gap (start at the old one's end): got %v, want none", vs)
	}
}
