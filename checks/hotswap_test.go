package checks

import "testing"

// TestHotSwapRunsFirst: an old instance that stops while its replacement
// elsewhere is still starting (and runs later), with nothing else
// running, is a violation; one that stops once the replacement runs, at
// Retention, or while the replacement never runs is not.
func TestHotSwapRunsFirst(t *testing.T) {
	const retention = 100
	old := Instance{Child: "c", Node: "n1", Instance: 1, Epoch: 1, Start: 0, End: 50, Ran: 2}
	for _, tc := range []struct {
		name    string
		stopAt  int64
		newer   Instance
		others  []Instance
		violate bool
	}{
		{"stopped before the new one ran", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60}, nil, true},
		{"stopped once the new one ran", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 45}, nil, false},
		{"stopped at retention", 140, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 150}, nil, false},
		{"the new one never ran", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: 70}, nil, false},
		{"another instance ran", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60},
			[]Instance{{Child: "c", Node: "n3", Instance: 3, Epoch: 2, Start: 10, End: -1, Ran: 12}}, false},
		{"an older generation elsewhere", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 0, Start: 40, End: -1, Ran: 60}, nil, false},
		{"a restart of the new one counts from the first start", 130,
			Instance{Child: "c", Node: "n2", Instance: 8, Epoch: 2, Start: 90, End: -1, Ran: 150},
			[]Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 20, End: 90}}, false},
		{"a takeover that never got its state", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60},
			[]Instance{{Child: "c", Node: "n3", Instance: 3, Epoch: 0, Start: -10, End: 30, Ran: -5}}, false},
		{"a renewal on the old node", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60},
			[]Instance{{Child: "c", Node: "n1", Instance: 2, Epoch: 3, Start: 52, End: -1, Ran: 70}}, false},
		{"a duplicate renewed on the new node", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60},
			[]Instance{{Child: "c", Node: "n2", Instance: 6, Epoch: 1, Start: 5, End: 38, Ran: 6}}, false},
		{"a move back long after", 50, Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60},
			[]Instance{{Child: "c", Node: "n2", Instance: 6, Epoch: 1, Start: 5, End: 20, Ran: 6}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := old
			o.End = tc.stopAt
			ins := append([]Instance{o, tc.newer}, tc.others...)
			vs := HotSwapRunsFirst([]SwapStop{{Child: "c", Node: "n1", Instance: 1, At: tc.stopAt}}, ins, retention, 5, true)
			if got := len(vs) > 0; got != tc.violate {
				t.Fatalf("violation %v, want %v: %v", got, tc.violate, vs)
			}
			if tc.violate && vs[0].Check != CheckSwapRunsFirst {
				t.Fatalf("check %q", vs[0].Check)
			}
		})
	}
}

// TestHotSwapRunsFirstJudgesOnlyAnOldCopyThatRan: an instance stopped
// before it ran, or started after the new one, is not the old copy of a
// move; the same stop of one that ran and started first is judged.
func TestHotSwapRunsFirstJudgesOnlyAnOldCopyThatRan(t *testing.T) {
	newer := Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 40, End: -1, Ran: 60}
	stop := []SwapStop{{Child: "c", Node: "n1", Instance: 1, At: 50}}
	for _, tc := range []struct {
		name       string
		start, ran int64
		violate    bool
	}{{"ran, started first", 0, 2, true}, {"never ran", 0, 0, false}, {"ran only after its stop", 0, 55, false}, {"started after the new one", 42, 44, false}} {
		old := Instance{Child: "c", Node: "n1", Instance: 1, Epoch: 1, Start: tc.start, End: 50, Ran: tc.ran}
		if got := len(HotSwapRunsFirst(stop, []Instance{old, newer}, 100, 5, true)) > 0; got != tc.violate {
			t.Errorf("%s: violation %v, want %v", tc.name, got, tc.violate)
		}
	}
}

// TestHotSwapRunsFirstStopAtRetentionAfterTheAsk: a stop Retention after
// the node asked the old instance for its state is the documented bound,
// even when no instance elsewhere was alive within Retention of the stop
// (the claim that started the wait outlived its instance); the same stop
// sooner after the ask, or with no ask, is judged (mix seed 317).
func TestHotSwapRunsFirstStopAtRetentionAfterTheAsk(t *testing.T) {
	const retention = 100
	old := Instance{Child: "c", Node: "n1", Instance: 1, Epoch: 1, Start: 0, End: 250, Ran: 2}
	stale := Instance{Child: "c", Node: "n2", Instance: 5, Epoch: 2, Start: 100, End: 140, Ran: 105}
	newer := Instance{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 240, End: -1, Ran: 260}
	for _, tc := range []struct {
		name    string
		asked   int64
		violate bool
	}{{"stopped Retention after the ask", 150, false}, {"stopped sooner after the ask", 200, true}, {"never asked", 0, true}} {
		stop := []SwapStop{{Child: "c", Node: "n1", Instance: 1, At: 250, Asked: tc.asked}}
		if got := len(HotSwapRunsFirst(stop, []Instance{old, stale, newer}, retention, 5, true)) > 0; got != tc.violate {
			t.Errorf("%s: violation %v, want %v", tc.name, got, tc.violate)
		}
	}
}

// TestHotSwapRunsFirstJudgesAStopBeforeAnyNewInstance: an old instance
// that stops while no instance of the child runs or is starting, and the
// next one starts only afterwards, left the child running nowhere; it was
// never judged (only a new instance already starting at the stop was).
// It is a violation unless the stop is a renewal (the old node starts the
// new generation within renew), came Retention after the node asked for
// the state, or no new copy ever runs.
func TestHotSwapRunsFirstJudgesAStopBeforeAnyNewInstance(t *testing.T) {
	const retention, renew = 100, 5
	old := Instance{Child: "c", Node: "n1", Instance: 1, Epoch: 1, Start: 0, End: 150, Ran: 2}
	for _, tc := range []struct {
		name    string
		asked   int64
		renewal bool
		next    []Instance
		violate bool
	}{
		{"the new holder starts after the stop", 0, false, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 170, End: -1, Ran: 180}}, true},
		{"a renewal restarts later than renew", 0, false, []Instance{{Child: "c", Node: "n1", Instance: 2, Epoch: 2, Start: 170, End: -1, Ran: 180}}, true},
		{"a renewal restarts at once", 0, false, []Instance{{Child: "c", Node: "n1", Instance: 2, Epoch: 2, Start: 150 + renew, End: -1, Ran: 160}}, false},
		{"stopped Retention after the ask", 50, false, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 170, End: -1, Ran: 180}}, false},
		{"stopped sooner after the ask", 60, false, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 170, End: -1, Ran: 180}}, true},
		{"the next one never runs", 0, false, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 170, End: 175}}, false},
		{"no new copy", 0, false, nil, false},
		{"the same generation starts elsewhere later (a contested start)", 0, false, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 1, Start: 170, End: -1, Ran: 180}}, false},
		{"the new copy ran and crashed before the stop (crash seed 123)", 0, false, []Instance{
			{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 130, End: 145, Ran: 140},
			{Child: "c", Node: "n1", Instance: 2, Epoch: 3, Start: 450, End: -1, Ran: 460}}, false},
		{"a renewal stopped at Retention, its next generation later", 50, true, []Instance{{Child: "c", Node: "n1", Instance: 2, Epoch: 2, Start: 170, End: -1, Ran: 180}}, true},
		{"a renewal stopped at Retention, the child elsewhere later", 50, true, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 170, End: -1, Ran: 180}}, true},
		{"a renewal stopped at Retention, its next generation at once", 50, true, []Instance{{Child: "c", Node: "n1", Instance: 2, Epoch: 2, Start: 150, End: -1, Ran: 160}}, false},
		{"a renewal stopped at Retention while the new one starts", 50, true, []Instance{{Child: "c", Node: "n2", Instance: 7, Epoch: 2, Start: 140, End: -1, Ran: 180}}, false},
	} {
		stop := []SwapStop{{Child: "c", Node: "n1", Instance: 1, At: 150, Asked: tc.asked, Renewal: tc.renewal}}
		vs := HotSwapRunsFirst(stop, append([]Instance{old}, tc.next...), retention, renew, true)
		if got := len(vs) > 0; got != tc.violate {
			t.Errorf("%s: violation %v, want %v: %v", tc.name, got, tc.violate, vs)
		}
	}
}
