package admin

import (
	"context"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"
	"time"
)

// LiveTimeout bounds how long the liveness probe waits for the event loop
// to run a probe before it answers 503: generous, so a loaded machine
// (load average 30) is not mistaken for a stalled loop.
const LiveTimeout = 5 * time.Second

// probe is what the three health endpoints share: the hub's state, read
// on its event loop within LiveTimeout.
func (s *Server) probe(r *http.Request) (adminapi.HealthResponse, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), LiveTimeout)
	defer cancel()
	h, err := s.hub.Health(ctx)
	out := adminapi.HealthResponse{Node: string(s.hub.Name()), Live: err == nil, Ready: err == nil && h.Ready(),
		Synced: h.Synced, Partitioned: s.hub.Partitioned(), Leaving: h.Leaving, Alive: h.Alive, Members: h.Members,
		QuorumAlive: h.QuorumAlive, QuorumKnown: h.QuorumKnown, Children: len(s.hub.WhichChildrenLocal().Children), LoopDelay: h.LoopDelay.Round(time.Microsecond).String()}
	switch {
	case err != nil:
		out.Status, out.Reason = "stalled", "the event loop did not answer within "+LiveTimeout.String()+": "+err.Error()
	case h.Leaving || h.Left:
		out.Status, out.Reason = "leaving", "the node is leaving the cluster"
	case out.Partitioned:
		out.Status, out.Reason = "partitioned", "the node lost quorum: it stopped its children and refuses requests"
	case !h.Synced:
		out.Status, out.Reason = "syncing", "the node has not yet received a full registry sync from every alive peer"
	default:
		out.Status = "ok"
	}
	return out, err == nil
}

// answerHealth writes the detail to authorized callers and the status
// word alone to everyone else.
func (s *Server) answerHealth(w http.ResponseWriter, r *http.Request, status int, h adminapi.HealthResponse) {
	if s.authorized(r) {
		writeJSON(w, status, h)
		return
	}
	writeJSON(w, status, adminapi.HealthStatus{Status: h.Status})
}

// health serves GET /v1/health: 200 unless the node is partitioned or
// its loop stalled (503), as before; the detail behind the token.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h, live := s.probe(r)
	status := http.StatusOK
	if !live || h.Partitioned {
		status = http.StatusServiceUnavailable
	}
	s.answerHealth(w, r, status, h)
}

// live serves GET /v1/health/live: 200 while the event loop turns (it
// runs a probe within LiveTimeout), else 503. A partitioned or syncing
// node is live: restarting it would not help.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	h, live := s.probe(r)
	status := http.StatusOK
	if !live {
		status = http.StatusServiceUnavailable
	}
	s.answerHealth(w, r, status, h)
}

// ready serves GET /v1/health/ready: 200 when the node is joined and
// synced, has quorum and is not leaving (it can serve owner requests),
// else 503 with the reason in the detail.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	h, _ := s.probe(r)
	status := http.StatusOK
	if !h.Ready {
		status = http.StatusServiceUnavailable
	}
	s.answerHealth(w, r, status, h)
}
