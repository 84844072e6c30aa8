package phub

import (
	"fmt"

	"github.com/phub/phub/core"
)

// ReadySignaler is implemented by children whose start completes only when
// they say so, as an OTP process's start completes when its init returns.
// If SignalsReady returns true, the instance counts as starting until Run
// calls Ready(env): only then does the hub report it started, and only
// then is an awaited StartChildren answered. If Run returns or panics
// before that, the start fails: the awaited start reports ErrStartFailed
// with Run's error as the detail (a restart that fails this way counts as
// a crash toward the restart intensity). Children that do not implement
// ReadySignaler are started as soon as Run is launched.
type ReadySignaler interface {
	SignalsReady() bool
}

// Ready reports that the instance running with env is ready to serve (see
// ReadySignaler). Only the first call counts; a call for a child that
// does not signal readiness, or with an env the hub did not create (a
// test double), does nothing.
func Ready(env ChildEnv) {
	if r, ok := env.(*childRun); ok && r.waitsReady {
		r.markReady()
	}
}

// Readiness states of an instance that signals readiness.
const (
	readyPending int32 = iota
	readyDone
	readyFailed
)

// markReady reports the instance started, once, unless it already failed.
func (r *childRun) markReady() {
	if r.ready.CompareAndSwap(readyPending, readyDone) {
		r.hub.report(core.ChildEvent{Kind: core.ChildStarted, ID: r.spec.ID, Instance: r.instance})
	}
}

// exitEvent turns Run's end into the report for core: an exit, or a failed
// start if the instance never signalled readiness.
func (r *childRun) exitEvent(err error) core.ChildEvent {
	if r.waitsReady && r.ready.CompareAndSwap(readyPending, readyFailed) {
		reason := "exited before it was ready"
		if err != nil {
			reason = fmt.Sprintf("%s: %v", reason, err)
		}
		return core.ChildEvent{Kind: core.ChildStartFailed, ID: r.spec.ID, Instance: r.instance, Reason: reason}
	}
	ev := core.ChildEvent{Kind: core.ChildExited, ID: r.spec.ID, Instance: r.instance}
	if err != nil {
		ev.Abnormal = true
		ev.Reason = err.Error()
	}
	return ev
}

// signalsReady reports whether c starts only once it calls Ready.
func signalsReady(c Child) bool {
	s, ok := c.(ReadySignaler)
	return ok && s.SignalsReady()
}
