package netfault

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/checks"
)

// These tests run everywhere (no root): they prove the verdict sees each
// violation class on hand-made samples and histories, and stays silent
// on the same run without the fault.

const s = time.Second

var unitGuarantees = guarantees{OrphanBound: time.Second, DuplicateBound: 500 * time.Millisecond, HealBound: 10 * s, Quorum: true}

func proc(pid, ppid int, child string, start time.Duration) childProc {
	return childProc{PID: pid, PPID: ppid, Child: child, Epoch: 1, EnvNode: "n1", Node: 0, Start: start}
}

// samplesOf builds samples every 150 ms from `from` to `to` with procs.
func samplesOf(from, to time.Duration, phubd []int, procs ...childProc) []sample {
	var out []sample
	for t := from; t <= to; t += 150 * time.Millisecond {
		out = append(out, sample{At: t, Phubd: phubd, Procs: procs})
	}
	return out
}

func hasViolation(r report, prefix string) bool {
	for _, v := range r.Violations {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

// startedHistory: c1 started (ok) at 0.1 s on n1.
func startedHistory() checks.History {
	return checks.History{Ops: []checks.Op{{Client: 1, Node: "n1", Child: "c1", Kind: checks.OpStart, Call: int64(100 * time.Millisecond), Return: int64(200 * time.Millisecond), Outcome: checks.OutcomeOK, Nodes: []string{"n1"}, Epoch: 1}}}
}

func TestVerdictMeasuresDuplicateOverlap(t *testing.T) {
	one := proc(10, 100, "c1", 0)
	two := proc(11, 100, "c1", s)
	var smp []sample
	smp = append(smp, samplesOf(0, s, []int{100}, one)...)
	smp = append(smp, samplesOf(s+50*time.Millisecond, 2*s, []int{100}, one, two)...)
	smp = append(smp, samplesOf(2*s+100*time.Millisecond, 3*s, []int{100}, two)...)
	d := runData{History: startedHistory(), Samples: smp, Final: map[string]uint64{"c1": 1}, FinalProcs: smp[len(smp)-1]}

	r := analyze(d, unitGuarantees)
	if got := r.Overlap["calm"]; got < s || got > 1100*time.Millisecond {
		t.Fatalf("overlap %v, want about 1s (%v)", got, r.Overlap)
	}
	if !hasViolation(r, "duplicate:") {
		t.Fatalf("a 1 s overlap above a 500 ms bound is not reported: %v", r.Violations)
	}
	// The same overlap during a non-transitive cut is measured, not a violation.
	d.Faults = []fault{{Kind: faultNonTransitive, Nodes: []int{0, 1}, Start: 900 * time.Millisecond, Heal: 2 * s, Healthy: 2*s + 100*time.Millisecond}}
	r = analyze(d, unitGuarantees)
	if hasViolation(r, "duplicate:") || r.Overlap[string(faultNonTransitive)] < s {
		t.Fatalf("non-transitive overlap: %v, violations %v", r.Overlap, r.Violations)
	}
}

// TestVerdictBoundsDuplicatesOfAPausedNode: a paused phubd's child runs on
// beside its replacement; the overlap is allowed for the pause plus the
// duplicate bound, and not longer.
func TestVerdictBoundsDuplicatesOfAPausedNode(t *testing.T) {
	one := proc(10, 100, "c1", 0)
	two := proc(11, 100, "c1", s)
	var smp []sample
	smp = append(smp, samplesOf(0, s, []int{100}, one)...)
	smp = append(smp, samplesOf(s+50*time.Millisecond, 2*s, []int{100}, one, two)...)
	smp = append(smp, samplesOf(2*s+100*time.Millisecond, 3*s, []int{100}, two)...)
	d := runData{History: startedHistory(), Samples: smp, Final: map[string]uint64{"c1": 1}, FinalProcs: smp[len(smp)-1]}
	d.Faults = []fault{{Kind: faultPause, Nodes: []int{0}, Start: 900 * time.Millisecond, Heal: 1500 * time.Millisecond, Healthy: 2 * s}}
	if r := analyze(d, unitGuarantees); hasViolation(r, "duplicate:") || r.Overlap[string(faultPause)] < s {
		t.Fatalf("a 1 s overlap within a 0.6 s pause + 0.5 s: %v, violations %v", r.Overlap, r.Violations)
	}
	d.Faults[0].Heal = 1000 * time.Millisecond // a 0.1 s pause explains 0.6 s, not 1 s
	if r := analyze(d, unitGuarantees); !hasViolation(r, "duplicate:") {
		t.Fatalf("a 1 s overlap after a 0.1 s pause is not reported: %v", r.Violations)
	}
}

func TestVerdictFindsOrphans(t *testing.T) {
	child := proc(10, 100, "c1", 0)
	orphan := child
	orphan.PPID = 1
	smp := append(samplesOf(0, s, []int{100}, child), samplesOf(s+150*time.Millisecond, 3*s, []int{0}, orphan)...)
	d := runData{History: startedHistory(), Samples: smp, Final: map[string]uint64{"c1": 1}, FinalProcs: smp[len(smp)-1]}
	if r := analyze(d, unitGuarantees); len(r.Orphans) != 1 || !hasViolation(r, "orphan:") {
		t.Fatalf("a child outliving its phubd by 1.85 s is not an orphan: %v", r.Violations)
	}
	// Killed with its phubd within the bound: no orphan.
	smp = append(samplesOf(0, s, []int{100}, child), samplesOf(s+150*time.Millisecond, 1500*time.Millisecond, []int{0}, orphan)...)
	smp = append(smp, samplesOf(1650*time.Millisecond, 3*s, []int{0})...)
	d.Samples, d.FinalProcs = smp, sample{Procs: []childProc{child}}
	if r := analyze(d, unitGuarantees); len(r.Orphans) != 0 {
		t.Fatalf("a child reaped within the bound counted as orphan: %v", r.Orphans)
	}
}

func TestVerdictFindsResurrection(t *testing.T) {
	h := startedHistory()
	h.Add(checks.Op{Client: 1, Node: "n1", Child: "c1", Kind: checks.OpStop, Call: int64(s), Return: int64(1100 * time.Millisecond), Outcome: checks.OutcomeOK})
	first := proc(10, 100, "c1", 150*time.Millisecond)
	again := proc(11, 100, "c1", 2*s)
	smp := append(samplesOf(200*time.Millisecond, s, []int{100}, first), samplesOf(2*s, 3*s, []int{100}, again)...)
	d := runData{History: h, Samples: smp, Final: map[string]uint64{}, FinalProcs: smp[len(smp)-1]}
	r := analyze(d, unitGuarantees)
	if len(r.Resurrected) != 1 || !hasViolation(r, "resurrected:") || !hasViolation(r, "stopped child running:") {
		t.Fatalf("a process started 0.9 s after an acknowledged stop is not a resurrection: %v", r.Violations)
	}
	// During a fault, a short-lived resurrection (a node that has not yet
	// noticed its isolation) is counted but tolerated; a long one is not.
	d.Faults = []fault{{Kind: faultIsolate, Nodes: []int{1}, Start: 1500 * time.Millisecond, Heal: 5 * s, Healthy: 5 * s}}
	if r := analyze(d, unitGuarantees); len(r.Resurrected) != 1 || !hasViolation(r, "resurrected:") {
		t.Fatalf("a resurrected process living 1 s (bound 500 ms) during a fault passed: %v", r.Violations)
	}
	short := append(samplesOf(200*time.Millisecond, s, []int{100}, first), samplesOf(2*s, 2300*time.Millisecond, []int{100}, again)...)
	short = append(short, samplesOf(2450*time.Millisecond, 3*s, []int{100})...)
	d.Samples, d.FinalProcs = short, short[len(short)-1]
	if r := analyze(d, unitGuarantees); len(r.Resurrected) != 1 || hasViolation(r, "resurrected:") || r.ResurrectedLife > 500*time.Millisecond {
		t.Fatalf("a resurrection gone within 450 ms during a fault: %v (life %v)", r.Violations, r.ResurrectedLife)
	}
	if r := analyze(d, unitGuarantees); r.ResurrectedInCut != 0 {
		t.Fatalf("a resurrection during an isolation counted as one in the non-transitive cut")
	}
	// Inside the non-transitive cut it is counted apart, not bounded.
	d.Samples, d.FinalProcs = smp, smp[len(smp)-1]
	d.Faults = []fault{{Kind: faultNonTransitive, Nodes: []int{0, 2}, Start: 1500 * time.Millisecond, Heal: 5 * s, Healthy: 5 * s}}
	if r := analyze(d, unitGuarantees); len(r.Resurrected) != 1 || r.ResurrectedInCut != 1 || hasViolation(r, "resurrected:") {
		t.Fatalf("a resurrection inside the non-transitive cut: %v (in the cut %d)", r.Violations, r.ResurrectedInCut)
	}
	d.Samples, d.FinalProcs = short, short[len(short)-1]
	d.Faults = nil
	if r := analyze(d, unitGuarantees); !hasViolation(r, "resurrected:") {
		t.Fatalf("the same resurrection without a fault passed: %v", r.Violations)
	}
	d.Samples, d.FinalProcs = smp, smp[len(smp)-1]

	// A start that may take effect after the stop explains the process.
	h.Add(checks.Op{Client: 2, Node: "n2", Child: "c1", Kind: checks.OpStart, Call: int64(1900 * time.Millisecond), Outcome: checks.OutcomeUnknown})
	d.History = h
	if r := analyze(d, unitGuarantees); len(r.Resurrected) != 0 || hasViolation(r, "stopped child running:") {
		t.Fatalf("a process explained by a later start counted: %v", r.Violations)
	}
}

func TestVerdictFindsLostChild(t *testing.T) {
	smp := append(samplesOf(0, s, []int{100}, proc(10, 100, "c1", 0)), samplesOf(s+150*time.Millisecond, 2*s, []int{100})...)
	d := runData{History: startedHistory(), Samples: smp, Final: map[string]uint64{}, FinalProcs: smp[len(smp)-1]}
	if r := analyze(d, unitGuarantees); len(r.Lost) != 1 || !hasViolation(r, "lost:") {
		t.Fatalf("an acknowledged, never stopped child without process is not lost: %v", r.Violations)
	}
	// With divergence the loss is measured, not asserted.
	g := unitGuarantees
	g.Quorum = false
	if r := analyze(d, g); len(r.Lost) != 1 || hasViolation(r, "lost:") {
		t.Fatalf("divergence: lost %v, violations %v", r.Lost, r.Violations)
	}
}

func TestVerdictJudgesHealDetectionAndHistory(t *testing.T) {
	h := startedHistory()
	// A lookup that reports the child absent after its acknowledged start.
	h.Add(checks.Op{Client: 2, Node: "n2", Child: "c1", Kind: checks.OpLookup, Call: int64(300 * time.Millisecond), Return: int64(400 * time.Millisecond), Outcome: checks.OutcomeNotFound})
	p := proc(10, 100, "c1", 150*time.Millisecond)
	smp := samplesOf(200*time.Millisecond, 2*s, []int{100}, p)
	d := runData{History: h, Samples: smp, Final: map[string]uint64{"c1": 1}, FinalProcs: smp[len(smp)-1],
		Faults: []fault{{Kind: faultSplit, Start: s, Heal: 2 * s}, {Kind: faultKill, Start: 3 * s, Heal: 4 * s, Healthy: 16 * s}}}
	r := analyze(d, unitGuarantees)
	if r.Lin.Status != checks.LinIllegal || !hasViolation(r, "linearizability illegal") {
		t.Fatalf("a lookup missing an acknowledged child passed porcupine: %v", r.Lin)
	}
	if len(r.HealMissed) != 1 || !hasViolation(r, "heal not detected") || !hasViolation(r, "heal detected late") {
		t.Fatalf("missed and late heal detection not reported: %v", r.Violations)
	}
	if r.HealDetect[faultKill] != 12*s {
		t.Fatalf("heal detection after kill %v, want 12s", r.HealDetect[faultKill])
	}
}

func TestVerdictChecksHistoryUpToTheNonTransitiveCut(t *testing.T) {
	h := startedHistory()
	// Inside the cut, a node that lost the owner routes to another owner,
	// which answers "not found".
	h.Add(checks.Op{Client: 2, Node: "n1", Child: "c1", Kind: checks.OpLookup, Call: int64(5 * s), Return: int64(5*s + 1), Outcome: checks.OutcomeNotFound})
	p := proc(10, 100, "c1", 150*time.Millisecond)
	smp := samplesOf(200*time.Millisecond, 8*s, []int{100}, p)
	d := runData{History: h, Samples: smp, Final: map[string]uint64{"c1": 1}, FinalProcs: smp[len(smp)-1]}
	if r := analyze(d, unitGuarantees); r.Lin.Status != checks.LinIllegal || r.LinCut != -1 {
		t.Fatalf("without a cut the whole history is checked: %v (cut %v)", r.Lin, r.LinCut)
	}
	d.Faults = []fault{{Kind: faultNonTransitive, Nodes: []int{0, 2}, Start: 4 * s, Heal: 6 * s, Healthy: 6*s + 1}}
	r := analyze(d, unitGuarantees)
	if r.Lin.Status != checks.LinOk || r.LinCut != 4*s || hasViolation(r, "linearizability") {
		t.Fatalf("ops after the non-transitive cut were checked: %v (cut %v)", r.Lin, r.LinCut)
	}
	// A violation before the cut is still one.
	h.Ops[1].Call, h.Ops[1].Return = int64(2*s), int64(2*s+1)
	d.History = h
	if r := analyze(d, unitGuarantees); r.Lin.Status != checks.LinIllegal {
		t.Fatalf("a violation before the cut passed: %v", r.Lin)
	}
}

// TestReadmeStatesNetfaultBounds keeps the README's "Reliability on real
// processes" section equal to the bounds the run asserts.
func TestReadmeStatesNetfaultBounds(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## Reliability on real processes")
	if start < 0 {
		t.Fatal(`README has no "## Reliability on real processes" section`)
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	section = strings.Join(strings.Fields(section), " ") // line breaks are layout
	g, tm := netfaultGuarantees("majority_quorum"), netfaultTiming
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s" }
	for _, want := range []string{
		"DownAfter (" + secs(g.DuplicateBound) + ")",
		"| " + secs(g.OrphanBound) + " |",
		"| " + secs(g.HealBound) + " on a quiet machine; on a loaded one", // scaled by loadwait
		"within " + secs(convergeBound),
		fmt.Sprintf("heartbeat %d ms, down after %s, exec grace %s", tm.Heartbeat.Milliseconds(), secs(tm.DownAfter), secs(tm.ExecGrace)),
		fmt.Sprintf("%d children", childrenCount),
		fmt.Sprintf("**%d clients**", clients),
		fmt.Sprintf("**%d nodes**", clusterSize),
		fmt.Sprintf("every %d ms", sampleEvery.Milliseconds()),
		"| the pause + DownAfter |",
		"`SIGSTOP`",
		"`partitioned`",
		"`too_many_pending`",
		"`shutting_down`",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("README's reliability section does not state %q", want)
		}
	}
}

// A history whose check runs out of its step budget is undecided: no
// violation (not a failure) and Undecided set (not a pass); under the
// harness budget the same history is decided. The budget counts steps, so
// the verdict is the same under any load.
func TestVerdictUndecidedIsNeitherPassNorFailure(t *testing.T) {
	h := startedHistory()
	for i := 0; i < 4; i++ { // concurrent stops and lookups: more than one step to decide
		at := int64(300*time.Millisecond) + int64(i)
		h.Add(checks.Op{Client: 2 + i, Node: "n2", Child: "c1", Kind: checks.OpLookup, Call: at, Return: at + int64(s), Outcome: checks.OutcomeOK, Nodes: []string{"n1"}, Epoch: 1})
	}
	p := proc(10, 100, "c1", 150*time.Millisecond)
	smp := samplesOf(200*time.Millisecond, 3*s, []int{100}, p)
	d := runData{History: h, Samples: smp, Final: map[string]uint64{"c1": 1}, FinalProcs: smp[len(smp)-1], LinSteps: 2}
	r := analyze(d, unitGuarantees)
	if r.Lin.Status != checks.LinInconclusive || r.Undecided == "" {
		t.Fatalf("a check out of its budget: %v, undecided %q; want inconclusive and undecided", r.Lin, r.Undecided)
	}
	if len(r.Violations) > 0 {
		t.Fatalf("an undecided check was reported as a failure: %v", r.Violations)
	}
	d.LinSteps = 0
	if r := analyze(d, unitGuarantees); r.Lin.Status != checks.LinOk || r.Undecided != "" || len(r.Violations) > 0 {
		t.Fatalf("under the harness budget: %v, undecided %q, violations %v; want ok", r.Lin, r.Undecided, r.Violations)
	}
}
