package admin

import "net/http/pprof"

// PathPprof is the prefix of Go's profiling endpoints (net/http/pprof),
// served behind the admin token: go tool pprof
// -http=: 'http://host:port/debug/pprof/heap' with the token in an
// Authorization header, or phubd ctl's --token through curl.
const PathPprof = "/debug/pprof/"

func (s *Server) routePprof() {
	s.mux.HandleFunc("GET "+PathPprof, s.auth(pprof.Index)) // also /debug/pprof/heap, goroutine, allocs, ...
	s.mux.HandleFunc("GET "+PathPprof+"cmdline", s.auth(pprof.Cmdline))
	s.mux.HandleFunc("GET "+PathPprof+"profile", s.auth(pprof.Profile))
	s.mux.HandleFunc("GET "+PathPprof+"symbol", s.auth(pprof.Symbol))
	s.mux.HandleFunc("POST "+PathPprof+"symbol", s.auth(pprof.Symbol))
	s.mux.HandleFunc("GET "+PathPprof+"trace", s.auth(pprof.Trace))
}
