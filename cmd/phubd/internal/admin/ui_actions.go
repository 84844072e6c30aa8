package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// drainTimeout bounds a drain started from the dashboard; the node stays
// cordoned if its children have not all moved by then.
const drainTimeout = time.Minute

// actions the dashboard offers, each behind a confirmation page.
var actions = map[string]struct {
	needID, needNode bool
	// what says what the action does, for the confirmation page.
	what string
}{
	"stop":         {needID: true, what: "Stop child %[1]s: it is stopped wherever it runs (awaited)."},
	"terminate":    {needID: true, what: "Terminate child %[1]s: stopped wherever it runs and removed from every registry."},
	"redistribute": {needID: true, needNode: true, what: "Redistribute child %[1]s to %[2]s: start it there if its placement includes %[2]s but it does not run there."},
	"cordon":       {needNode: true, what: "Cordon %[2]s: it takes no new children and its children move to their new owners."},
	"uncordon":     {needNode: true, what: "Uncordon %[2]s: it is put back on the ring and children move back to it."},
	"drain":        {needNode: true, what: "Drain %[2]s: cordon it and wait (up to 1m) until its children have moved away."},
}

type confirmData struct {
	Action, ID, Node, Back, What string
}

// action serves POST /ui/action: without confirm=yes it answers a
// confirmation page; with it, it runs the action and goes back to the
// page it came from with the outcome as a message.
func (u *ui) action(w http.ResponseWriter, r *http.Request, s *session) {
	name, id, node := r.PostFormValue("action"), r.PostFormValue("id"), r.PostFormValue("node")
	back := safeNext(r.PostFormValue("back"))
	a, ok := actions[name]
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("unknown action %q", name))
		return
	case a.needID && u.s.checkID(id) != nil:
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("%s: invalid child id %q", name, id))
		return
	case a.needNode && node == "":
		writeError(w, http.StatusBadRequest, "bad_request", name+": node required")
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		u.render(w, r, s, http.StatusOK, "confirm", "Confirm "+name, confirmData{Action: name, ID: id, Node: node, Back: back,
			What: fmt.Sprintf(a.what, id, node)})
		return
	}
	msg := u.run(r.Context(), name, core.ChildID(id), core.NodeID(node))
	u.s.log.Info("dashboard action", "action", name, "id", id, "node", node, "outcome", msg)
	if s != nil {
		u.sessions.setFlash(s, msg)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// run performs an action and says its outcome in words.
func (u *ui) run(ctx context.Context, name string, id core.ChildID, node core.NodeID) string {
	timeout := u.s.core.Timing.RequestTimeout + margin
	if name == "drain" {
		timeout = drainTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h := u.s.hub
	var err error
	switch name {
	case "stop":
		var res phub.StopResult
		res, err = h.StopChildren(ctx, []core.ChildID{id}, phub.Await(), phub.Timeout(u.s.core.Timing.RequestTimeout))
		if err == nil && len(res.Results) == 1 {
			err = res.Results[0].Err
		}
	case "terminate":
		err = h.TerminateChild(ctx, id)
	case "redistribute":
		err = h.Redistribute(ctx, []core.ChildID{id}, node)
	case "cordon":
		err = h.Cordon(ctx, node)
	case "uncordon":
		err = h.Uncordon(ctx, node)
	case "drain":
		err = h.Drain(ctx, node)
	}
	subject := string(id)
	if subject == "" {
		subject = string(node)
	}
	if err != nil {
		code := string(core.Code(err))
		if code == "" || errors.Is(err, context.DeadlineExceeded) {
			code = "error"
		}
		return fmt.Sprintf("%s %s failed (%s): %v", name, subject, code, err)
	}
	if name == "redistribute" {
		return fmt.Sprintf("redistribute %s to %s: initiated", id, node)
	}
	return fmt.Sprintf("%s %s: done", name, subject)
}
