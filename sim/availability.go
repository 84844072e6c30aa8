package sim

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Availability is what a partition-tolerance mode costs in one run (or
// summed over runs): how much of the time clients wanted children running
// they ran, how long children of a crashed node waited to run again, and
// how many requests were refused for want of quorum or lease.
type Availability struct {
	// Wanted is the child-time between an acknowledged start and the call
	// of the next acknowledged stop (children some node gave up excluded);
	// Running is the part of it during which an instance ran.
	Wanted, Running time.Duration
	// Gaps are the failover gaps: for each child running on a node when
	// it crashed, the time until an instance ran again (up to the end of
	// the run if none did).
	Gaps []time.Duration
	// PinnedGaps are the same for guided children (a child mapping pins
	// them to their nodes; they do not fail over, by design), after a
	// crash or a graceful leave of their node: the time until their node
	// is back, which for the idle stretch's outage is the whole stretch
	// (47 s in the fast profile, 1 h 31 min in the production one), and
	// after a leave may be the rest of the run. Kept apart so they do not
	// pass for failover.
	PinnedGaps []time.Duration
	// LeaveGaps are the failover gaps after a graceful leave: for each
	// child whose instance on a leaving node ended after the leave was
	// asked for, the time from that end until an instance ran again (up
	// to the end of the run if none did).
	LeaveGaps []time.Duration
	// Replies counts replies to client requests; Refused those that
	// failed with ErrPartitioned (request-level or per child).
	Replies, Refused int
}

type crashRecord struct {
	node core.NodeID
	at   core.Instant
}

func (s *Sim) countReply(rep core.Reply) {
	s.replied++
	refused := errors.Is(rep.Err, core.ErrPartitioned)
	for _, r := range rep.Results {
		refused = refused || r.Err == core.Code(core.ErrPartitioned)
	}
	if refused {
		s.refused++
	}
}

type span struct{ from, to int64 }

// Availability measures the run so far.
func (s *Sim) Availability() Availability {
	now := int64(s.now)
	a := Availability{Replies: s.replied, Refused: s.refused}
	byChild := map[string][]checks.Instance{}
	for _, in := range s.Instances() {
		if in.End < 0 {
			in.End = now
		}
		byChild[in.Child] = append(byChild[in.Child], in)
	}
	wanted := s.wantedSpans(now)
	for child, ws := range wanted {
		if s.gone[core.ChildID(child)] {
			continue
		}
		var runs []span
		for _, in := range byChild[child] {
			runs = append(runs, span{in.Start, in.End})
		}
		runs = union(runs)
		for _, w := range ws {
			a.Wanted += time.Duration(w.to - w.from)
			for _, r := range runs {
				if lo, hi := max(w.from, r.from), min(w.to, r.to); hi > lo {
					a.Running += time.Duration(hi - lo)
				}
			}
		}
	}
	for _, c := range s.crashes {
		at := int64(c.at)
		for child, ins := range byChild {
			if s.gone[core.ChildID(child)] || !covers(wanted[child], at) {
				continue
			}
			killed, elsewhere := false, false
			next := now
			for _, in := range ins {
				if in.Node == string(c.node) && in.End == at && in.Start < at {
					killed = true
				}
				if in.Start < at && in.End > at {
					elsewhere = true
				}
				if in.Start >= at && in.Start < next {
					next = in.Start
				}
			}
			if !killed || elsewhere {
				continue
			}
			if _, pinned := s.guidedNodes[core.ChildID(child)]; pinned {
				a.PinnedGaps = append(a.PinnedGaps, time.Duration(next-at))
			} else {
				a.Gaps = append(a.Gaps, time.Duration(next-at))
			}
		}
	}
	for _, l := range s.leaves {
		at := int64(l.at)
		for child, ins := range byChild {
			if s.gone[core.ChildID(child)] {
				continue
			}
			for _, in := range ins {
				if in.Node != string(l.node) || in.Start >= at || in.End < at || in.End == now || !covers(wanted[child], in.End) {
					continue
				}
				next, elsewhere := now, false
				for _, o := range ins {
					if o.Start < in.End && o.End > in.End {
						elsewhere = true
					}
					if o.Start >= in.End && o.Start < next {
						next = o.Start
					}
				}
				if elsewhere {
					continue
				}
				if _, pinned := s.guidedNodes[core.ChildID(child)]; pinned {
					// A guided child pinned to the leaving node waits for
					// it to come back (mix seed 26: c6, pinned to n1,
					// waited 2 min 30 s, the rest of the run).
					a.PinnedGaps = append(a.PinnedGaps, time.Duration(next-in.End))
				} else {
					a.LeaveGaps = append(a.LeaveGaps, time.Duration(next-in.End))
				}
			}
		}
	}
	return a
}

// wantedSpans derives from the client history when each child was wanted
// running: from an acknowledged start's return to the call of the next
// acknowledged stop.
func (s *Sim) wantedSpans(now int64) map[string][]span {
	type ev struct {
		at    int64
		start bool
	}
	evs := map[string][]ev{}
	for _, op := range s.history.Ops {
		switch {
		case op.Kind == checks.OpStart && (op.Outcome == checks.OutcomeOK || op.Outcome == checks.OutcomeAlreadyStarted):
			evs[op.Child] = append(evs[op.Child], ev{op.Return, true})
		case op.Kind == checks.OpStop && op.Outcome == checks.OutcomeOK:
			evs[op.Child] = append(evs[op.Child], ev{op.Call, false})
		}
	}
	out := map[string][]span{}
	for child, es := range evs {
		slices.SortStableFunc(es, func(a, b ev) int { return int(min(max(a.at-b.at, -1), 1)) })
		from := int64(-1)
		for _, e := range es {
			switch {
			case e.start && from < 0:
				from = e.at
			case !e.start && from >= 0:
				if e.at > from {
					out[child] = append(out[child], span{from, e.at})
				}
				from = -1
			}
		}
		if from >= 0 && now > from {
			out[child] = append(out[child], span{from, now})
		}
	}
	return out
}

func union(xs []span) []span {
	slices.SortFunc(xs, func(a, b span) int { return int(min(max(a.from-b.from, -1), 1)) })
	var out []span
	for _, x := range xs {
		if n := len(out); n > 0 && x.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, x.to)
			continue
		}
		out = append(out, x)
	}
	return out
}

func covers(ws []span, at int64) bool {
	for _, w := range ws {
		if w.from <= at && at < w.to {
			return true
		}
	}
	return false
}

// Add sums b into a.
func (a *Availability) Add(b Availability) {
	a.Wanted += b.Wanted
	a.Running += b.Running
	a.Gaps = append(a.Gaps, b.Gaps...)
	a.PinnedGaps = append(a.PinnedGaps, b.PinnedGaps...)
	a.LeaveGaps = append(a.LeaveGaps, b.LeaveGaps...)
	a.Replies += b.Replies
	a.Refused += b.Refused
}

// Modes compared by the availability report.
var AvailabilityModes = []string{"divergence", "majority_quorum", "strict"}

// RunAvailability runs the first n seeds of class whose drawn strategy
// every mode accepts (singularity with cold swap, or gossip), once per
// mode of AvailabilityModes with the same fault schedule and workload
// script, and sums each mode's availability. (Runs of one seed still part
// ways: message delays and guided children's nodes come from the
// simulator's one random stream, which strict's lease traffic advances
// more; so one mode's run of a guided seed may pin more children to the
// node its outage takes down than another's.)
func RunAvailability(class Class, n int) map[string]Availability {
	out := map[string]Availability{}
	done := 0
	for seed := uint64(1); done < n; seed++ {
		setup := Draw(class, seed)
		if setup.Strategy != "singularity-cold" && setup.Strategy != "gossip" {
			continue
		}
		done++
		for _, mode := range AvailabilityModes {
			_, s := RunSeedSim(class, seed, availabilityOptions(mode, setup.Nodes))
			a := out[mode]
			a.Add(s.Availability())
			out[mode] = a
		}
	}
	return out
}

// availabilityOptions runs a seed of nodes nodes in mode (one of
// AvailabilityModes; strict with L = DownAfter). Only for the seeds
// RunAvailability picks: strict mode refuses the other strategies
// (replication, hot swap), and RunSeedSim then panics with
// ErrNodeCannotBoot.
func availabilityOptions(mode string, nodes int) Options {
	return Options{Configure: func(c *core.Config) {
		switch mode {
		case "strict":
			c.Partition = strictPartition(nodes, 1, c.Timing)
		case "majority_quorum":
			c.Partition = core.PartitionConfig{Kind: core.MajorityQuorum, InitialClusterSize: nodes, TrackMaxSize: true}
		default:
			c.Partition = core.DefaultConfig(c.Name).Partition
		}
	}}
}

// WriteAvailability prints the side-by-side table of RunAvailability for
// each class, as Markdown.
func WriteAvailability(w io.Writer, classes []Class, n int, progress func(Class)) {
	fmt.Fprintf(w, "| class | mode | child-time running | failover gap after a crash p50 / max (n) | after a graceful leave p50 / max (n) | guided children waiting for their node p50 / max (n) | requests refused |\n|---|---|---|---|---|---|---|\n")
	for _, class := range classes {
		if progress != nil {
			progress(class)
		}
		res := RunAvailability(class, n)
		for _, mode := range AvailabilityModes {
			a := res[mode]
			frac := 1.0
			if a.Wanted > 0 {
				frac = float64(a.Running) / float64(a.Wanted)
			}
			fmt.Fprintf(w, "| %s | %s | %.1f%% | %s | %s | %s | %d of %d |\n", class, mode, 100*frac, gapFigures(a.Gaps), gapFigures(a.LeaveGaps), gapFigures(a.PinnedGaps), a.Refused, a.Replies)
		}
	}
}

// gapFigures renders failover gaps as "p50 / max (n)", or "–" for none.
func gapFigures(gaps []time.Duration) string {
	if len(gaps) == 0 {
		return "–"
	}
	g := slices.Clone(gaps)
	slices.Sort(g)
	return fmt.Sprintf("%v / %v (%d)", g[len(g)/2].Round(time.Millisecond), g[len(g)-1].Round(time.Millisecond), len(g))
}
