package admin

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The dashboard: server-rendered pages under /ui/ (html/template, assets
// embedded, no request leaves the node), a login form that trades the
// admin token for a session cookie, live updates over Server-Sent
// Events, and actions behind a confirmation page and a CSRF token.

//go:embed web
var webFS embed.FS

// PathUI is the dashboard's prefix.
const PathUI = "/ui/"

// contentSecurityPolicy lets pages load only the node's own assets.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pageNames lists the dashboard's page templates (web/<name>.html).
var pageNames = []string{"login", "cluster", "children", "child", "ring", "events", "confirm"}

type ui struct {
	s        *Server
	sessions *sessions
	moves    *moves
	pages    map[string]*template.Template
	static   http.Handler
}

func newUI(s *Server) (*ui, error) {
	u := &ui{s: s, sessions: newSessions(), moves: newMoves(), pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(webFS, "web/layout.html", "web/"+name+".html")
		if err != nil {
			return nil, err
		}
		u.pages[name] = t
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}
	u.static = http.StripPrefix(PathUI+"static/", http.FileServer(http.FS(static)))
	return u, nil
}

func (u *ui) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, PathUI, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, PathUI, http.StatusSeeOther)
	})
	mux.Handle("GET "+PathUI+"static/", u.headers(u.static))
	mux.HandleFunc("GET "+PathUI+"login", u.loginForm)
	mux.HandleFunc("POST "+PathUI+"login", u.login)
	mux.HandleFunc("POST "+PathUI+"logout", u.page(u.logout))
	mux.HandleFunc("GET "+PathUI+"{$}", u.page(u.cluster))
	mux.HandleFunc("GET "+PathUI+"children", u.page(u.children))
	mux.HandleFunc("GET "+PathUI+"children/{id}", u.page(u.child))
	mux.HandleFunc("GET "+PathUI+"ring", u.page(u.ring))
	mux.HandleFunc("GET "+PathUI+"events", u.page(u.eventsPage))
	mux.HandleFunc("GET "+PathUI+"stream", u.page(func(w http.ResponseWriter, r *http.Request, _ *session) {
		u.s.eventStream(w, r)
	}))
	mux.HandleFunc("POST "+PathUI+"action", u.page(u.action))
}

// headers sets the security headers of every dashboard answer.
func (u *ui) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// page authenticates a dashboard request by its session cookie (any
// request passes on a node without a token, with a nil session). GET
// requests without a session are sent to the login form; POSTs must
// carry the session's CSRF token and come from this origin.
func (u *ui) page(fn func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Cache-Control", "no-store")
			var s *session
			if len(u.s.token) > 0 {
				s = u.sessions.get(r, time.Now())
				if s == nil {
					if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/stream") {
						http.Redirect(w, r, PathUI+"login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
						return
					}
					writeError(w, http.StatusUnauthorized, "unauthorized", "no dashboard session: log in at "+PathUI+"login")
					return
				}
			}
			if r.Method == http.MethodPost {
				if !sameOrigin(r) {
					writeError(w, http.StatusForbidden, "forbidden", "cross-origin form post refused")
					return
				}
				r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
				if s != nil && !s.csrfOK(r.PostFormValue("csrf")) {
					writeError(w, http.StatusForbidden, "forbidden", "missing or wrong CSRF token: reload the page")
					return
				}
			}
			fn(w, r, s)
		})).ServeHTTP(w, r)
	}
}

// sameOrigin reports whether a POST comes from a page of this server: an
// Origin header (or, without it, a Referer) naming another host is
// refused.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true // not a browser form (curl); the CSRF token still applies
	}
	o, err := url.Parse(src)
	return err == nil && o.Host == r.Host
}

// view is what every page template gets.
type view struct {
	Title, Page, Node string
	// Auth is true when the node has a token (the page shows log out).
	Auth  bool
	CSRF  string
	Flash string
	// Path is the page's own address (forms come back to it).
	Path string
	Data any
}

func (u *ui) render(w http.ResponseWriter, r *http.Request, s *session, status int, page, title string, data any) {
	self := *r.URL
	q := self.Query()
	q.Del("fragment")
	self.RawQuery = q.Encode()
	v := view{Title: title, Page: page, Node: string(u.s.hub.Name()), Auth: s != nil, Path: self.RequestURI(), Data: data}
	if s != nil {
		v.CSRF = s.csrf
		v.Flash = u.sessions.takeFlash(s)
	}
	name := "layout"
	if r.URL.Query().Get("fragment") == "1" {
		name = "live" // the live region alone, for the page's refresh
	}
	var buf bytes.Buffer
	if err := u.pages[page].ExecuteTemplate(&buf, name, v); err != nil {
		u.s.log.Error("dashboard: rendering failed", "page", page, "err", err)
		http.Error(w, "rendering failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (u *ui) loginForm(w http.ResponseWriter, r *http.Request) {
	u.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(u.s.token) == 0 || u.sessions.get(r, time.Now()) != nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		u.render(w, r, nil, http.StatusOK, "login", "Log in", loginView{Next: safeNext(r.URL.Query().Get("next"))})
	})).ServeHTTP(w, r)
}

type loginView struct {
	Next  string
	Error string
}

// login trades the admin token for a session: a wrong token gets the
// form again with 401 and no cookie.
func (u *ui) login(w http.ResponseWriter, r *http.Request) {
	u.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "forbidden", "cross-origin form post refused")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		next := safeNext(r.PostFormValue("next"))
		if len(u.s.token) == 0 {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		if !u.s.tokenMatches(strings.TrimSpace(r.PostFormValue("token"))) {
			u.s.log.Warn("dashboard: login refused: wrong token", "remote", r.RemoteAddr)
			u.render(w, r, nil, http.StatusUnauthorized, "login", "Log in", loginView{Next: next, Error: "Wrong token."})
			return
		}
		s := u.sessions.create(time.Now())
		http.SetCookie(w, sessionCookieFor(r, s.id, int(SessionTTL/time.Second)))
		http.Redirect(w, r, next, http.StatusSeeOther)
	})).ServeHTTP(w, r)
}

func (u *ui) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if s != nil {
		u.sessions.end(s)
	}
	http.SetCookie(w, sessionCookieFor(r, "", -1))
	http.Redirect(w, r, PathUI+"login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on the dashboard.
func safeNext(next string) string {
	if !strings.HasPrefix(next, PathUI) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return PathUI
	}
	return next
}
