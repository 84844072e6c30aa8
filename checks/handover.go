package checks

import (
	"fmt"
	"slices"
)

// Handover is a completed hot-swap handover as the simulator saw it: the
// old instance on From handed State over, To acknowledged it, and the old
// instance stopped at At.
type Handover struct {
	Child    string
	From, To string
	State    string
	At       int64
	// ToIncarnation is the receiver's incarnation when it acknowledged
	// (0: unknown, every instance on To is judged). The stash lives in
	// the receiver's memory: a node crash loses it, as a crash of the new
	// instance does, so instances of a later incarnation are not judged.
	ToIncarnation uint64
}

// HandoverState checks state continuity through hot swap (the documented
// promise): the state an old instance handed over before it stopped is
// the state some instance of the child on the receiving node was given —
// delivered to the running instance, or stashed and given to the next
// instance started there — and that instance ran (Instance.Ran) or still
// exists when the run ends. A state given only to instances that exited
// before they ran is lost: the sender stops on an acknowledgement that
// must wait until an instance holding the state runs. A later local
// restart (a crash) of an instance that ran loses the state again by
// design, so any instance on the receiver that ran with it suffices. Duplicates of the old instance after a partition each hand
// their own state over, and each acknowledged state must have been given
// (the last one given survives). Handovers whose receiver ran no instance
// of the child within stashFor after the acknowledgement are not judged
// (the stash expired), nor are instances the receiver ran after a crash
// of its own (Handover.ToIncarnation).
// Cold swap promises no state continuity and is not checked.
func HandoverState(hs []Handover, instances []Instance, stashFor int64) []Violation {
	var vs []Violation
	for _, h := range hs {
		candidates, got := 0, false
		var seen []string
		for _, in := range instances {
			if in.Child != h.Child || in.Node != h.To {
				continue
			}
			if h.ToIncarnation != 0 && in.Incarnation > h.ToIncarnation {
				continue // the receiver crashed since: its stash died with it
			}
			given := slices.Contains(in.Given, h.State)
			if given && (in.Ran != 0 || in.End < 0) {
				got = true
				break
			}
			if given {
				// Given, but the instance exited before it ran: the
				// state went with it.
				candidates++
				seen = append(seen, fmt.Sprintf("#%d got it and ended at %d, never ran", in.Instance, in.End))
				continue
			}
			if in.Start <= h.At+stashFor && (in.End < 0 || in.End >= h.At) {
				candidates++
				seen = append(seen, fmt.Sprintf("#%d got %q", in.Instance, in.Given))
			}
		}
		if !got && candidates > 0 {
			vs = append(vs, Violation{Check: CheckHandoverState, Child: h.Child, Node: h.To,
				Detail: fmt.Sprintf("%s handed over state %q and stopped at %d, but no instance on %s that ran received it (%v)", h.From, h.State, h.At, h.To, seen)})
		}
	}
	return SortViolations(vs)
}

// LeaveHandoverState checks state continuity through a graceful leave,
// for runs in which nothing could lose the handover (no message loss,
// cuts or crashes): the state a leaving node's instance handed over (From,
// State, At; To unknown) is the state some instance of the child started
// elsewhere after At was given. Not judged when an instance of the child
// already ran elsewhere at At (a replica or duplicate could be the
// survivor) or when none started elsewhere within stashFor.
func LeaveHandoverState(hs []Handover, instances []Instance, stashFor int64) []Violation {
	var vs []Violation
	for _, h := range hs {
		judged, got := true, false
		candidates := 0
		for _, in := range instances {
			if in.Child != h.Child || in.Node == h.From {
				continue
			}
			if in.RunningAt(h.At) && in.Start < h.At {
				judged = false
				break
			}
			if in.Start < h.At {
				continue
			}
			if in.Received == h.State {
				got = true
			}
			if in.Start <= h.At+stashFor {
				candidates++
			}
		}
		if judged && !got && candidates > 0 {
			vs = append(vs, Violation{Check: CheckHandoverState, Child: h.Child, Node: h.From,
				Detail: fmt.Sprintf("%s left at %d handing over state %q, but no instance started elsewhere received it", h.From, h.At, h.State)})
		}
	}
	return SortViolations(vs)
}
