package netfault

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/phub/phub/checks"
)

// guarantees are the promises a run is judged against.
type guarantees struct {
	// OrphanBound: a child process may outlive its phubd this long (the
	// exec grace plus a sampling period).
	OrphanBound time.Duration
	// DuplicateBound: the longest continuous overlap of two processes of
	// one child, outside non-transitive cuts and pauses, and the longest
	// life of a process resurrected during a fault (majority quorum
	// only). During a pause of phubd the bound is the pause plus this.
	DuplicateBound time.Duration
	// HealBound: the longest time from a heal to a healthy cluster.
	HealBound time.Duration
	// Quorum: majority quorum, so no lost child, no resurrection, bounded
	// duplicates and a linearizable history are asserted; with divergence
	// they are measured only (both sides of a partition decide).
	Quorum bool
	// Strict: the strict partition mode, which promises more than Quorum:
	// at most one process of a child at every sample of the whole run,
	// whatever the fault (pause and non-transitive cut included).
	Strict bool
}

// runData is everything a run recorded.
type runData struct {
	History checks.History
	Samples []sample
	Faults  []fault
	// Final is the registry after the heal and convergence: child →
	// epoch. ConvergeErr says why the cluster did not converge (then Final
	// is one node's registry, or nil if none answered).
	Final       map[string]uint64
	ConvergeErr error
	// FinalProcs is the last sample, taken after convergence.
	FinalProcs sample
	// LinSteps is the linearizability check's step budget per child (0:
	// checks.HarnessLinSteps); a step budget, never a wall-clock one, so
	// the verdict does not depend on the machine's load.
	LinSteps int64
}

// report is the figures of one run, the README's table row.
type report struct {
	Ops, Acked, Failed, Unknown int
	Lost, StoppedRunning        []string
	Resurrected, Orphans        []string
	ResurrectedLife             time.Duration            // the longest-lived resurrected process
	ResurrectedInCut            int                      // how many of Resurrected started inside the non-transitive cut
	Overlap                     map[string]time.Duration // max continuous duplicate overlap per fault kind ("calm": none active)
	OverlapAt                   map[string]string        // where the max overlap of each kind was seen
	HealDetect                  map[faultKind]time.Duration
	HealMissed                  []string
	Lin                         checks.LinResult
	LinCut                      time.Duration // the history was checked up to this instant (-1: whole)
	// MaxConcurrent is the most processes of one child seen in one sample.
	MaxConcurrent int
	// Availability: within the spans a child should run (from an
	// acknowledged start's return to the call of the next stop), the
	// fraction of sampled time it had a process, and the gaps without one.
	Availability float64
	Gaps         []time.Duration // sorted
	Violations   []string
	// Undecided says why the linearizability check is neither passed nor
	// failed: it ran out of its step budget on some child and found no
	// other child illegal ("" when decided).
	Undecided string
}

// GapQuantile returns the q-quantile of the gaps (0 if none).
func (r report) GapQuantile(q float64) time.Duration {
	if len(r.Gaps) == 0 {
		return 0
	}
	return r.Gaps[min(len(r.Gaps)-1, int(q*float64(len(r.Gaps))))]
}

// MaxOverlap returns the longest overlap of any kind.
func (r report) MaxOverlap() time.Duration {
	var m time.Duration
	for _, d := range r.Overlap {
		m = max(m, d)
	}
	return m
}

// MaxHealDetect returns the slowest heal detection.
func (r report) MaxHealDetect() time.Duration {
	var m time.Duration
	for _, d := range r.HealDetect {
		m = max(m, d)
	}
	return m
}

// analyze computes the figures of a run and the broken guarantees.
func analyze(d runData, g guarantees) report {
	r := report{Overlap: map[string]time.Duration{}, OverlapAt: map[string]string{}, HealDetect: map[faultKind]time.Duration{}}
	for _, op := range d.History.Ops {
		r.Ops++
		switch op.Outcome {
		case checks.OutcomeUnknown:
			r.Unknown++
		case checks.OutcomeFailed:
			r.Failed++
		default:
			r.Acked++
		}
	}
	violate := func(format string, args ...any) { r.Violations = append(r.Violations, fmt.Sprintf(format, args...)) }

	// Duplicates: ≥2 live processes of one child in consecutive samples.
	open := map[string]time.Duration{}
	closeSpan := func(child string, end time.Duration) {
		start := open[child]
		delete(open, child)
		kind := faultAt(d.Faults, start)
		dur := end - start
		if dur > r.Overlap[kind] {
			r.Overlap[kind] = dur
			r.OverlapAt[kind] = fmt.Sprintf("%s %.1fs–%.1fs", child, start.Seconds(), end.Seconds())
		}
		bound := g.DuplicateBound
		if f := faultOf(d.Faults, start); f != nil && f.Kind == faultPause {
			// A paused phubd cannot stop its children: they run on until
			// it wakes and notices it was declared down, while the
			// majority starts them DownAfter after the pause began.
			bound = f.Heal - f.Start + g.DuplicateBound
		}
		if g.Quorum && kind != string(faultNonTransitive) && dur > bound {
			violate("duplicate: %s ran twice for %v from %.1fs (during %s), bound %v", child, dur.Round(time.Millisecond), start.Seconds(), kind, bound)
		}
	}
	for _, s := range d.Samples {
		count := map[string]int{}
		for _, p := range s.Procs {
			count[p.Child]++
		}
		for _, c := range sortedKeys(count) {
			if count[c] > r.MaxConcurrent {
				r.MaxConcurrent = count[c]
			}
		}
		for c, n := range count {
			if _, ok := open[c]; n >= 2 && !ok {
				open[c] = s.At
				if g.Strict {
					violate("strict: %d processes of %s at %.2fs (during %s)", n, c, s.At.Seconds(), faultAt(d.Faults, s.At))
				}
			}
		}
		for _, c := range sortedKeys(open) {
			if count[c] < 2 {
				closeSpan(c, s.At)
			}
		}
	}
	if len(d.Samples) > 0 {
		for _, c := range sortedKeys(open) {
			closeSpan(c, d.Samples[len(d.Samples)-1].At)
		}
	}

	r.Availability, r.Gaps = availability(d)

	// Orphans: a child process whose parent is not a live phubd, for
	// longer than the bound.
	orphanSince := map[int]time.Duration{}
	reported := map[int]bool{}
	for _, s := range d.Samples {
		for _, p := range s.Procs {
			if slices.Contains(s.Phubd, p.PPID) && p.PPID != 0 {
				delete(orphanSince, p.PID)
				continue
			}
			since, ok := orphanSince[p.PID]
			if !ok {
				orphanSince[p.PID] = s.At
				continue
			}
			if s.At-since > g.OrphanBound && !reported[p.PID] {
				reported[p.PID] = true
				r.Orphans = append(r.Orphans, fmt.Sprintf("%s pid %d (epoch %d, PHUB_NODE %s, parent %d) without its phubd from %.1fs to at least %.1fs", p.Child, p.PID, p.Epoch, p.EnvNode, p.PPID, since.Seconds(), s.At.Seconds()))
			}
		}
	}
	for _, o := range r.Orphans {
		violate("orphan: %s", o)
	}

	// Resurrection: a process that started after a stop of its child was
	// acknowledged, with no start that could have taken effect after it.
	// With majority quorum one kind is tolerated, as in the simulator's
	// table: while a fault is in effect, a node that has not yet noticed
	// its own isolation may take over a child from a node it just declared
	// down, after that node acknowledged a stop it replicated to the peers
	// it still saw; the instance dies when its node notices it lost quorum,
	// within the duplicate bound. Inside a non-transitive cut the two
	// majorities may keep it until the heal.
	byChild := map[string][]checks.Op{}
	for _, op := range d.History.Ops {
		byChild[op.Child] = append(byChild[op.Child], op)
	}
	first, gone := map[int]childProc{}, map[int]time.Duration{}
	var pids []int
	for i, s := range d.Samples {
		for _, p := range s.Procs {
			if _, ok := first[p.PID]; !ok {
				first[p.PID] = p
				pids = append(pids, p.PID)
			}
			gone[p.PID] = s.At // still alive at the last sample
			if i+1 < len(d.Samples) {
				gone[p.PID] = d.Samples[i+1].At
			}
		}
	}
	for _, pid := range pids {
		p := first[pid]
		x, ok := unexplainedAfterStop(byChild[p.Child], p.Start)
		if !ok {
			continue
		}
		life, during := gone[pid]-p.Start, faultAt(d.Faults, p.Start)
		desc := fmt.Sprintf("%s pid %d on %s epoch %d started at %.2fs during %s, gone within %v, after %v", p.Child, pid, p.EnvNode, p.Epoch, p.Start.Seconds(), during, life.Round(time.Millisecond), x)
		r.Resurrected = append(r.Resurrected, desc)
		r.ResurrectedLife = max(r.ResurrectedLife, life)
		if during == string(faultNonTransitive) {
			r.ResurrectedInCut++
		}
		if g.Quorum && (during == "calm" || (during != string(faultNonTransitive) && life > g.DuplicateBound)) {
			violate("resurrected: %s", desc)
		}
	}

	// Lost and stopped-but-running, from the state after the heal.
	running := map[string]int{}
	for _, p := range d.FinalProcs.Procs {
		running[p.Child]++
	}
	for _, c := range sortedKeys(byChild) {
		ops := byChild[c]
		_, registered := d.Final[c]
		if mustBePresent(ops) && (running[c] == 0 || (d.Final != nil && !registered)) {
			r.Lost = append(r.Lost, fmt.Sprintf("%s: acknowledged start, no later stop; at the end %d processes, registered %v", c, running[c], registered))
		}
		if mustBeAbsent(ops) && (running[c] > 0 || registered) {
			r.StoppedRunning = append(r.StoppedRunning, fmt.Sprintf("%s: acknowledged stop, no later start; at the end %d processes, registered %v", c, running[c], registered))
		}
	}
	if g.Quorum {
		for _, x := range r.Lost {
			violate("lost: %s", x)
		}
		for _, x := range r.StoppedRunning {
			violate("stopped child running: %s", x)
		}
	}

	// Heal detection.
	for _, f := range d.Faults {
		hd, bound := f.HealDetection(), max(g.HealBound, f.HealBound)
		if hd < 0 {
			r.HealMissed = append(r.HealMissed, f.String())
			violate("heal not detected within %v: %v", bound, f)
			continue
		}
		r.HealDetect[f.Kind] = max(r.HealDetect[f.Kind], hd)
		if hd > bound {
			violate("heal detected late: %v (bound %v)", f, bound)
		}
	}

	if d.ConvergeErr != nil {
		violate("no convergence after the heal: %v", d.ConvergeErr)
	}

	// Linearizability of the owner-routed history (porcupine), up to the
	// first non-transitive cut.
	lh, cut := linearizablePrefix(d.History, d.Faults)
	r.LinCut = cut
	steps := d.LinSteps
	if steps == 0 {
		steps = checks.HarnessLinSteps
	}
	r.Lin = checks.CheckLinearizableWithin(lh, checks.LinBudget{Steps: steps})
	switch {
	case r.Lin.Status == checks.LinInconclusive:
		r.Undecided = fmt.Sprintf("linearizability undecided within %d steps per child: %v", steps, r.Lin)
	case r.Lin.Status == checks.LinMalformed:
		violate("linearizability not decided: %v", r.Lin)
	case g.Quorum && r.Lin.Status != checks.LinOk:
		violate("%v", r.Lin)
	}
	return r
}

// linearizablePrefix returns the part of h the registry model must
// accept, and the instant it ends (-1: all of h). Two overlapping
// majorities of a non-transitive cut (A–B, B–C up, A–C down) route one
// child's requests to different owners, so from the first such cut on
// only the process-level invariants are asserted (the simulator's
// non-transitive class is ✘ for linearizability too). The prefix keeps
// every op called before the cut; one that returned after it is
// recorded as unknown (a lookup's unknown outcome is left unchecked).
func linearizablePrefix(h checks.History, faults []fault) (checks.History, time.Duration) {
	cut := time.Duration(-1)
	for _, f := range faults {
		if f.Kind == faultNonTransitive && (cut < 0 || f.Start < cut) {
			cut = f.Start
		}
	}
	if cut < 0 {
		return h, cut
	}
	var out checks.History
	for _, op := range h.Ops {
		if op.Call >= int64(cut) {
			continue
		}
		if op.Outcome != checks.OutcomeUnknown && op.Return >= int64(cut) {
			op.Outcome, op.Return, op.Nodes, op.Epoch = checks.OutcomeUnknown, 0, nil, 0
		}
		out.Add(op)
	}
	return out, cut
}

// faultAt names the fault in effect at t (from its start until the
// cluster was healthy again), or "calm".
func faultAt(faults []fault, t time.Duration) string {
	if f := faultOf(faults, t); f != nil {
		return string(f.Kind)
	}
	return "calm"
}

// faultOf returns the fault in effect at t, or nil.
func faultOf(faults []fault, t time.Duration) *fault {
	for i, f := range faults {
		end := f.Healthy
		if end == 0 {
			end = time.Duration(math.MaxInt64)
		}
		if t >= f.Start && t <= end {
			return &faults[i]
		}
	}
	return nil
}

// unexplainedAfterStop returns a stop acknowledged before start for which
// no start op could have taken effect later and caused a process that
// started at start (10 ms clock ticks: a start called before start+10ms
// may explain it).
func unexplainedAfterStop(ops []checks.Op, start time.Duration) (checks.Op, bool) {
	for _, x := range ops {
		if x.Kind != checks.OpStop || x.Outcome != checks.OutcomeOK || x.Return >= int64(start) {
			continue
		}
		explained := false
		for _, y := range ops {
			if y.Kind != checks.OpStart || (y.Outcome != checks.OutcomeOK && y.Outcome != checks.OutcomeUnknown) {
				continue
			}
			if y.Call < int64(start+10*time.Millisecond) && (y.Outcome == checks.OutcomeUnknown || y.Return > x.Call) {
				explained = true
				break
			}
		}
		if !explained {
			return x, true
		}
	}
	return checks.Op{}, false
}

// mustBePresent: some start was acknowledged and no stop that may have
// taken effect after it (acknowledged or unknown, not over before it was
// called) exists.
func mustBePresent(ops []checks.Op) bool {
	return lastWordHolds(ops, checks.OpStart, checks.OpStop)
}

// mustBeAbsent: the same with the roles of start and stop swapped.
func mustBeAbsent(ops []checks.Op) bool {
	return lastWordHolds(ops, checks.OpStop, checks.OpStart)
}

func lastWordHolds(ops []checks.Op, word, undo checks.OpKind) bool {
	for _, s := range ops {
		if s.Kind != word || s.Outcome != checks.OutcomeOK {
			continue
		}
		undone := false
		for _, x := range ops {
			if x.Kind == undo && (x.Outcome == checks.OutcomeUnknown || (x.Outcome == checks.OutcomeOK && x.Return > s.Call)) {
				undone = true
				break
			}
		}
		if !undone {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// String renders the report for the test log.
func (r report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ops %d: acknowledged %d, refused %d, unknown %d\n", r.Ops, r.Acked, r.Failed, r.Unknown)
	fmt.Fprintf(&b, "lost %d, stopped-but-running %d, resurrected %d (longest-lived %v), orphans %d\n", len(r.Lost), len(r.StoppedRunning), len(r.Resurrected), r.ResurrectedLife.Round(time.Millisecond), len(r.Orphans))
	fmt.Fprintf(&b, "most processes of one child in one sample: %d; availability %.1f%% of the time children should run, gaps without a process p50 %v max %v (%d gaps)\n",
		r.MaxConcurrent, 100*r.Availability, r.GapQuantile(0.5).Round(time.Millisecond), r.GapQuantile(1).Round(time.Millisecond), len(r.Gaps))
	for _, x := range r.Resurrected {
		fmt.Fprintf(&b, "  resurrected: %s\n", x)
	}
	for _, k := range sortedKeys(r.Overlap) {
		fmt.Fprintf(&b, "max duplicate overlap during %s: %v (%s)\n", k, r.Overlap[k].Round(time.Millisecond), r.OverlapAt[k])
	}
	kinds := make([]string, 0, len(r.HealDetect))
	for k := range r.HealDetect {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "slowest heal detection after %s: %v\n", k, r.HealDetect[faultKind(k)].Round(time.Millisecond))
	}
	if r.LinCut >= 0 {
		fmt.Fprintf(&b, "history checked up to the non-transitive cut at %.1fs: ", r.LinCut.Seconds())
	}
	fmt.Fprintf(&b, "%v\n", r.Lin)
	return b.String()
}

// availability measures, within the spans each child should run (from the
// return of an acknowledged start to the call of the next stop op of any
// outcome, or the last sample), the fraction of samples in which it had a
// process, and the lengths of the stretches without one (failover gaps,
// refused restarts). Both modes are measured alike on the same schedule.
func availability(d runData) (float64, []time.Duration) {
	if len(d.Samples) < 2 {
		return 0, nil
	}
	end := d.Samples[len(d.Samples)-1].At
	type span struct{ from, to time.Duration }
	spans := map[string][]span{}
	for _, op := range d.History.Ops {
		if op.Kind != checks.OpStart || op.Outcome != checks.OutcomeOK {
			continue
		}
		sp := span{time.Duration(op.Return), end}
		for _, x := range d.History.Ops {
			if x.Child == op.Child && x.Kind == checks.OpStop && x.Call > op.Return && time.Duration(x.Call) < sp.to {
				sp.to = time.Duration(x.Call)
			}
		}
		spans[op.Child] = append(spans[op.Child], sp)
	}
	var want, have int
	var gaps []time.Duration
	for _, c := range sortedKeys(spans) {
		gapStart := time.Duration(-1)
		for i, s := range d.Samples {
			in := false
			for _, sp := range spans[c] {
				in = in || (s.At >= sp.from && s.At < sp.to)
			}
			running := false
			for _, p := range s.Procs {
				running = running || p.Child == c
			}
			switch {
			case in && running:
				want++
				have++
			case in:
				want++
			}
			if in && !running && gapStart < 0 {
				gapStart = s.At
			}
			if (!in || running || i == len(d.Samples)-1) && gapStart >= 0 {
				gaps = append(gaps, s.At-gapStart)
				gapStart = -1
			}
		}
	}
	slices.Sort(gaps)
	if want == 0 {
		return 0, gaps
	}
	return float64(have) / float64(want), gaps
}
