// Package admin serves phubd's HTTP admin API: JSON endpoints over a
// phub.Hub (start/stop children, lookups, which-children, members, ring
// ownership, health probes, the event stream), Prometheus metrics at
// /metrics and Go's pprof at /debug/pprof/. Every endpoint except the
// health probes (GET /v1/health, /v1/health/live, /v1/health/ready)
// requires "Authorization: Bearer <token>" unless the server was built
// without a token; the probes write their JSON detail only to callers
// with the token.
package admin

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxTimeout bounds the timeout a request may ask for.
const MaxTimeout = 10 * time.Minute

// Traffic reports messages sent and received per kind and failed sends.
type Traffic func() (sent, received map[string]uint64, sendErrors uint64)

// Options configures a Server.
type Options struct {
	Hub *phub.Hub
	// Core is the hub's core configuration (strategies, timings).
	Core core.Config
	// Token is the bearer token; empty disables authentication.
	Token  string
	Logger *slog.Logger
	// Traffic, if set, feeds the message counters of /metrics.
	Traffic Traffic
	// Counter, if set, answers GET /v1/counters/{id} (counters.go).
	Counter func(core.ChildID) (kinds.CounterInfo, bool)
}

// Server is the admin API's http.Handler.
type Server struct {
	hub     *phub.Hub
	core    core.Config
	token   []byte
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	events  *journal
	ui      *ui
	// counterInfo answers GET /v1/counters/{id} (Options.Counter).
	counterInfo func(core.ChildID) (kinds.CounterInfo, bool)
	// closing is closed by CloseStreams.
	closing   chan struct{}
	closeOnce sync.Once
}

// New builds the admin API for opts.Hub and registers the hooks its
// metrics count.
func New(opts Options) (*Server, error) {
	if opts.Hub == nil {
		return nil, errors.New("admin: nil hub")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{hub: opts.Hub, core: opts.Core, token: []byte(opts.Token), log: opts.Logger, mux: http.NewServeMux(),
		closing: make(chan struct{}), counterInfo: opts.Counter}
	m, err := newMetrics(opts.Hub, opts.Traffic)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	if s.ui, err = newUI(s); err != nil {
		return nil, err
	}
	if s.events, err = newJournal(opts.Hub, journalSize, s.ui.moves.hook); err != nil {
		return nil, err
	}
	s.mux.HandleFunc("POST /v1/children", s.auth(s.start))
	s.mux.HandleFunc("DELETE /v1/children", s.auth(s.stop))
	s.mux.HandleFunc("GET /v1/children", s.auth(s.list))
	s.mux.HandleFunc("GET /v1/children/{id}", s.auth(s.lookup))
	s.mux.HandleFunc("POST /v1/children/{id}/terminate", s.auth(s.terminate))
	s.mux.HandleFunc("POST /v1/redistribute", s.auth(s.redistribute))
	s.mux.HandleFunc("GET /v1/which", s.auth(s.which))
	s.mux.HandleFunc("GET /v1/members", s.auth(s.members))
	s.mux.HandleFunc("POST /v1/nodes/{node}/cordon", s.auth(s.cordon(true)))
	s.mux.HandleFunc("POST /v1/nodes/{node}/uncordon", s.auth(s.cordon(false)))
	s.mux.HandleFunc("GET /v1/ring", s.auth(s.ring))
	s.mux.HandleFunc("GET /v1/counters/{id}", s.auth(s.counter))
	s.mux.HandleFunc("GET "+adminapi.PathHealth, s.health)
	s.mux.HandleFunc("GET "+adminapi.PathHealthLive, s.live)
	s.mux.HandleFunc("GET "+adminapi.PathHealthReady, s.ready)
	s.mux.HandleFunc("GET /v1/events", s.auth(s.eventList))
	s.mux.HandleFunc("GET /v1/events/stream", s.auth(s.eventStream))
	s.routePprof()
	s.ui.routes(s.mux)
	s.mux.Handle("GET /metrics", s.auth(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogAdapter{s.log}}).ServeHTTP))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no_endpoint", fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return s, nil
}

// Registry returns the Prometheus registry behind /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// authorized reports whether r carries the admin token (always true for
// a server without a token).
func (s *Server) authorized(r *http.Request) bool {
	if len(s.token) == 0 {
		return true
	}
	got, ok := bearerToken(r.Header.Get("Authorization"))
	return ok && s.tokenMatches(got)
}

func (s *Server) tokenMatches(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), s.token) == 1
}

func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if len(s.token) > 0 {
			got, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok || !s.tokenMatches(got) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="phubd"`)
				msg := "missing bearer token"
				if ok {
					msg = "wrong bearer token"
				}
				writeError(w, http.StatusUnauthorized, "unauthorized", msg)
				return
			}
		}
		next(w, r)
	}
}

// bearerToken returns the credentials of an "Authorization: Bearer <token>"
// header value. The scheme is matched case-insensitively (RFC 7235 §2.1:
// "bearer", "BEARER" and "Bearer" are the same scheme); spaces around the
// token are ignored. ok is false for a missing header or another scheme.
func bearerToken(header string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Println(v ...any) { a.l.Warn("metrics", "err", fmt.Sprint(v...)) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, adminapi.ErrorResponse{Code: code, Error: msg})
}

// errStatus maps an error to its HTTP status and code.
func errStatus(err error) (int, string) {
	if errors.Is(err, phub.ErrClosed) {
		return http.StatusServiceUnavailable, "shutting_down"
	}
	code := string(core.Code(err))
	switch code {
	case "no_children", "invalid_spec", "duplicate_id", "missing_child_mapping", "invalid_child_mapping",
		"child_mapping_mismatch", "child_replication_mismatch", "unknown_node":
		return http.StatusBadRequest, code
	case "limit_exceeded", "batch_too_large":
		// A batch over Limits.MaxBatch is a limit like the others (README,
		// Limits: 413); it keeps its own, more specific code.
		return http.StatusRequestEntityTooLarge, code
	case "not_found":
		return http.StatusNotFound, code
	case "already_started", "nothing_to_redistribute", "rolled_back", "no_uncordoned_node":
		return http.StatusConflict, code
	case "partitioned", "shutting_down", "node_down", "unreachable":
		return http.StatusServiceUnavailable, code
	case "timeout":
		return http.StatusGatewayTimeout, code
	case "too_many_pending":
		return http.StatusTooManyRequests, code
	case "start_failed":
		return http.StatusUnprocessableEntity, code
	}
	switch {
	case errors.Is(err, errDeadline):
		return http.StatusGatewayTimeout, "timeout"
	}
	return http.StatusInternalServerError, "error"
}

var errDeadline = errors.New("deadline exceeded")

// badRequest is an input error of the HTTP request itself.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return badRequest{fmt.Sprintf(format, args...)} }

// decode reads a JSON body strictly: unknown fields, trailing data and
// oversized bodies are errors.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	limit := max(adminapi.BodyBytesFor(s.core.Limits), adminapi.MaxBodyBytes)
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return fmt.Errorf("%w: body larger than %d bytes (limits: 2 x Limits.MaxRequestBytes + 1 MiB)", core.ErrLimitExceeded, limit)
		case errors.As(err, &se):
			return badf("malformed JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return badf("field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return badf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		case err.Error() == "EOF":
			return badf("empty body: a JSON object is required")
		}
		return badf("malformed JSON: %v", err)
	}
	if dec.More() {
		return badf("trailing data after the JSON object")
	}
	return nil
}

func parseTimeout(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, badf("%s: want a duration such as 500ms or 5s, got %q", field, v)
	}
	if d <= 0 || d > MaxTimeout {
		return 0, badf("%s: must be in (0, %s], got %s", field, MaxTimeout, d)
	}
	return d, nil
}

func (s *Server) checkID(id string) error {
	if id == "" {
		return badf("invalid child id: empty")
	}
	if err := s.core.Limits.CheckID(core.ChildID(id)); err != nil {
		return err
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return badf("invalid child id %q: control character", id)
		}
	}
	return nil
}

// inField prefixes err with the request field it concerns; a limit error
// stays one (413, limit_exceeded), anything else is a bad request.
func inField(field string, err error) error {
	if errors.Is(err, core.ErrLimitExceeded) {
		return fmt.Errorf("%s: %w", field, err)
	}
	return badf("%s: %v", field, err)
}

func (s *Server) checkIDs(field string, ids []string) ([]core.ChildID, error) {
	if len(ids) == 0 {
		return nil, badf("%s: empty list: at least one child id is required", field)
	}
	out := make([]core.ChildID, len(ids))
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if err := s.checkID(id); err != nil {
			return nil, inField(fmt.Sprintf("%s[%d]", field, i), err)
		}
		if seen[id] {
			return nil, badf("%s[%d]: duplicate id %q", field, i, id)
		}
		seen[id] = true
		out[i] = core.ChildID(id)
	}
	return out, nil
}

// fail writes err: 400 for input errors, else its mapped status.
func (s *Server) fail(w http.ResponseWriter, err error) {
	var br badRequest
	if errors.As(err, &br) {
		writeError(w, http.StatusBadRequest, "bad_request", br.msg)
		return
	}
	status, code := errStatus(err)
	if status >= 500 {
		s.log.Warn("admin request failed", "code", code, "err", err)
	}
	writeError(w, status, code, err.Error())
}
