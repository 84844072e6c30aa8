package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Dashboard sessions: logging in with the admin token creates a session
// whose id travels in an HttpOnly, SameSite=Strict cookie; every action
// form carries the session's CSRF token.
const (
	sessionCookie = "phubd_session"
	// SessionTTL is how long a dashboard session lasts after login.
	SessionTTL = 12 * time.Hour
	// maxSessions bounds the sessions a node keeps; the oldest goes first.
	maxSessions = 256
)

type session struct {
	id      string
	csrf    string
	expires time.Time
	flash   string // one message for the next page
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}} }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session, evicting expired ones and, at maxSessions, the
// one that expires first.
func (ss *sessions) create(now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var oldest *session
	for id, s := range ss.m {
		if now.After(s.expires) {
			delete(ss.m, id)
			continue
		}
		if oldest == nil || s.expires.Before(oldest.expires) {
			oldest = s
		}
	}
	if len(ss.m) >= maxSessions && oldest != nil {
		delete(ss.m, oldest.id)
	}
	s := &session{id: randomToken(), csrf: randomToken(), expires: now.Add(SessionTTL)}
	ss.m[s.id] = s
	return s
}

// get returns the live session of r's cookie, or nil.
func (ss *sessions) get(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[c.Value]
	if s == nil || now.After(s.expires) {
		delete(ss.m, c.Value)
		return nil
	}
	return s
}

func (ss *sessions) end(s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s.id)
}

// setFlash and takeFlash pass one message to the next page.
func (ss *sessions) setFlash(s *session, msg string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.flash = msg
}

func (ss *sessions) takeFlash(s *session) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f := s.flash
	s.flash = ""
	return f
}

// csrfOK reports whether the form's CSRF token is the session's.
func (s *session) csrfOK(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

func sessionCookieFor(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: value, Path: "/ui/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}
