package admin

import (
	"encoding/json"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"
	"strconv"
	"time"
)

// keepAliveEvery is how often an idle event stream writes a comment, so
// proxies and clients see the connection alive.
const keepAliveEvery = 15 * time.Second

// maxEventsPerList bounds one GET /v1/events answer.
const maxEventsPerList = journalSize

// eventList serves GET /v1/events?since=N&limit=M: the kept events after
// N (default 0: every kept event), oldest first.
func (s *Server) eventList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "since" && k != "limit" {
			s.fail(w, badf("unknown query parameter %q (since, limit)", k))
			return
		}
	}
	since, err := parseSeq("since", q.Get("since"))
	if err != nil {
		s.fail(w, err)
		return
	}
	limit := maxEventsPerList
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventsPerList {
			s.fail(w, badf("limit: want an integer in [1, %d], got %q", maxEventsPerList, v))
			return
		}
		limit = n
	}
	evs, lost, last := s.events.since(since, limit)
	if evs == nil {
		evs = []adminapi.Event{}
	}
	writeJSON(w, http.StatusOK, adminapi.EventsResponse{Node: string(s.hub.Name()), Events: evs, Lost: lost, Last: last})
}

func parseSeq(field, v string) (uint64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badf("%s: want a non-negative event number, got %q", field, v)
	}
	return n, nil
}

// eventStream serves GET /v1/events/stream as Server-Sent Events: every
// event after ?since=N or the Last-Event-ID header (default: only new
// events), then each new one as it happens ("event: hook", the adminapi.Event as
// JSON data, its Seq as id). Events the journal no longer holds are
// announced by one "event: lost" whose data is their count. A stream
// that falls behind by subscriberBuffer events is ended; its client
// resumes with Last-Event-ID.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "error", "streaming unsupported by this connection")
		return
	}
	after, err := parseSeq("since", r.URL.Query().Get("since"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		if after, err = parseSeq("Last-Event-ID", id); err != nil {
			s.fail(w, err)
			return
		}
	} else if !r.URL.Query().Has("since") {
		_, _, after = s.events.since(^uint64(0), 1) // only new events
	}
	select {
	case <-s.closing:
		writeError(w, http.StatusServiceUnavailable, "shutting_down", "the admin server is shutting down")
		return
	default:
	}
	backlog, lost, sub := s.events.subscribe(after)
	if sub == nil {
		writeError(w, http.StatusServiceUnavailable, "too_many_streams", fmt.Sprintf("%d event streams are open already", maxSubscribers))
		return
	}
	defer s.events.unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 1000\n\n")
	if lost > 0 {
		fmt.Fprintf(w, "event: lost\ndata: %d\n\n", lost)
	}
	for _, ev := range backlog {
		writeSSE(w, ev)
	}
	fl.Flush()
	tick := time.NewTicker(keepAliveEvery)
	defer tick.Stop()
	for {
		select {
		case ev := <-sub.ch:
			writeSSE(w, ev)
			for more := true; more; {
				select {
				case ev := <-sub.ch:
					writeSSE(w, ev)
				default:
					more = false
				}
			}
			fl.Flush()
		case <-tick.C:
			fmt.Fprintf(w, ": keepalive\n\n")
			fl.Flush()
		case <-sub.overflow:
			for more := true; more; { // what was queued before the overflow
				select {
				case ev := <-sub.ch:
					writeSSE(w, ev)
				default:
					more = false
				}
			}
			fl.Flush()
			return
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

// CloseStreams ends every event stream (and refuses new ones), so that
// an http.Server's Shutdown does not wait for them: register it with
// RegisterOnShutdown. Calling it again does nothing.
func (s *Server) CloseStreams() { s.closeOnce.Do(func() { close(s.closing) }) }

func writeSSE(w http.ResponseWriter, ev adminapi.Event) {
	b, _ := json.Marshal(ev) // an adminapi.Event always encodes
	fmt.Fprintf(w, "id: %d\nevent: hook\ndata: %s\n\n", ev.Seq, b)
}
