package admin

import (
	"bufio"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, n *testNode) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: n.srv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) login(token string) *http.Response {
	resp, _ := b.do("POST", "/ui/login", url.Values{"token": {token}, "next": {"/ui/children"}})
	return resp
}

func TestDashboardLogin(t *testing.T) {
	n := newCluster(t, 2, nil)[0]
	b := newBrowser(t, n)
	resp, _ := b.do("GET", "/", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.do("GET", "/ui/children?q=x", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login?next=%2Fui%2Fchildren%3Fq%3Dx" {
		t.Fatalf("no session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.do("GET", "/ui/login", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="token"`) || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("login form: %d %s", resp.StatusCode, body)
	}
	// A wrong token: 401, the form again, no cookie.
	resp, body = b.do("POST", "/ui/login", url.Values{"token": {"wrong"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong token.") || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d %v %s", resp.StatusCode, resp.Cookies(), body)
	}
	if resp, _ := b.do("GET", "/ui/stream", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream without a session: %d", resp.StatusCode)
	}
	// The right token: a session cookie, HttpOnly and SameSite=Strict.
	resp = b.login(token)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/children" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cs := resp.Cookies()
	if len(cs) != 1 || cs[0].Name != sessionCookie || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/ui/" || cs[0].Value == token {
		t.Fatalf("session cookie: %+v", cs)
	}
	resp, body = b.do("GET", "/ui/", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `data-member="n1"`) || !strings.Contains(body, `data-member="n2"`) {
		t.Fatalf("cluster page: %d\n%s", resp.StatusCode, body)
	}
	// The session does not open the JSON API (bearer only).
	if resp, _ := b.do("GET", "/v1/members", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API with a cookie: %d", resp.StatusCode)
	}
	// An open redirect is refused.
	if safeNext("//evil.example/") != "/ui/" || safeNext("https://evil.example/") != "/ui/" || safeNext("/ui/ring") != "/ui/ring" {
		t.Fatal("safeNext lets a foreign address through")
	}
	// Log out ends the session.
	csrf := csrfRe.FindStringSubmatch(body)[1]
	resp, _ = b.do("POST", "/ui/logout", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := b.do("GET", "/ui/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
}

func TestDashboardActionsNeedCSRFAndConfirmation(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	a := nodes[0]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"act-1","kind":"counter"}],"await":true}`)
	expect(t, st, body, 200, `"ok": true`)
	b := newBrowser(t, a)
	b.login(token)
	_, page := b.do("GET", "/ui/children/act-1", nil)
	csrf := csrfRe.FindStringSubmatch(page)[1]
	form := url.Values{"action": {"stop"}, "id": {"act-1"}, "back": {"/ui/children/act-1"}}
	// No CSRF token, a wrong one, another origin: refused, nothing done.
	if resp, _ := b.do("POST", "/ui/action", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no csrf: %d", resp.StatusCode)
	}
	form.Set("csrf", "wrong")
	if resp, _ := b.do("POST", "/ui/action", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("wrong csrf: %d", resp.StatusCode)
	}
	form.Set("csrf", csrf)
	req, _ := http.NewRequest("POST", b.base+"/ui/action", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := b.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross origin: %v %v", resp, err)
	}
	// Without confirm: a confirmation page, the child still runs.
	resp, body := b.do("POST", "/ui/action", form)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="confirm-yes"`) || !strings.Contains(body, "Stop child act-1") {
		t.Fatalf("confirmation: %d %s", resp.StatusCode, body)
	}
	if len(a.hub.List()) != 1 {
		t.Fatal("the child stopped before confirmation")
	}
	form.Set("confirm", "yes")
	resp, _ = b.do("POST", "/ui/action", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/children/act-1" {
		t.Fatalf("confirmed: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	waitFor(t, "child stopped", func() bool { return len(a.hub.List()) == 0 })
	_, body = b.do("GET", "/ui/children/act-1", nil)
	if !strings.Contains(body, "stop act-1: done") {
		t.Fatalf("no outcome message:\n%s", body)
	}
	// Cordon and uncordon n2 from the dashboard.
	for _, act := range []string{"cordon", "uncordon"} {
		resp, _ = b.do("POST", "/ui/action", url.Values{"csrf": {csrf}, "action": {act}, "node": {"n2"}, "back": {"/ui/"}, "confirm": {"yes"}})
		_, body = b.do("GET", "/ui/", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(body, act+" n2: done") {
			t.Fatalf("%s: %d\n%s", act, resp.StatusCode, body)
		}
	}
	if resp, _ := b.do("POST", "/ui/action", url.Values{"csrf": {csrf}, "action": {"explode"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown action: %d", resp.StatusCode)
	}
}

func TestDashboardPages(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	a := nodes[0]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"web-1","kind":"counter"},{"id":"web-2","kind":"counter"},{"id":"db-1","kind":"counter"}],"await":true,"metadata":{"tag":"blue"}}`)
	expect(t, st, body, 200, `"ok": true`)
	waitFor(t, "registry", func() bool { return len(a.hub.List()) == 3 })
	b := newBrowser(t, a)
	b.login(token)
	_, body = b.do("GET", "/ui/children?q=web", nil)
	if !strings.Contains(body, `data-child="web-1"`) || !strings.Contains(body, `data-child="web-2"`) || strings.Contains(body, `data-child="db-1"`) ||
		!strings.Contains(body, "tag=blue") {
		t.Fatalf("search web:\n%s", body)
	}
	e := a.hub.List()[0]
	node := string(e.Replicas[0].Node)
	_, body = b.do("GET", "/ui/children?node="+node, nil)
	if !strings.Contains(body, `data-child="`+string(e.Spec.ID)+`"`) {
		t.Fatalf("per node %s lacks %s:\n%s", node, e.Spec.ID, body)
	}
	_, body = b.do("GET", "/ui/children?fragment=1", nil)
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="children"`) {
		t.Fatalf("fragment:\n%s", body)
	}
	rr, err := a.s().ringAnswer(t.Context(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	_, body = b.do("GET", "/ui/children/web-1", nil)
	for _, want := range []string{`id="owner">` + rr.Owner + `<`, `id="placement">` + rr.Placement[0] + `<`, `id="position">`, "Last migration", "consistent_hashing"} {
		if !strings.Contains(body, want) {
			t.Fatalf("child page lacks %q:\n%s", want, body)
		}
	}
	_, body = b.do("GET", "/ui/ring", nil)
	if !strings.Contains(body, "384 points") || !strings.Contains(body, `data-node="n3"`) {
		t.Fatalf("ring page:\n%s", body)
	}
	_, body = b.do("GET", "/ui/events", nil)
	if !strings.Contains(body, "registry_pid_insert") {
		t.Fatalf("events page:\n%s", body)
	}
	// The stream opens with the session cookie.
	req, _ := http.NewRequest("GET", b.base+"/ui/stream?since=0", nil)
	resp, err := b.c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	resp.Body.Close()
	if !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream starts with %q", line)
	}
}

// The pages load nothing from elsewhere: every asset is embedded and no
// template or asset names another host.
func TestDashboardMakesNoExternalRequests(t *testing.T) {
	err := fs.WalkDir(webFS, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := webFS.ReadFile(p)
		// Other hosts, and inline styles or scripts (the CSP refuses them).
		for _, bad := range []string{"http://", "https://", "//cdn", "@import", `style="`, "<script>", "onclick="} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(contentSecurityPolicy, "default-src 'none'") || strings.Contains(contentSecurityPolicy, "http") {
		t.Fatalf("CSP allows other origins: %s", contentSecurityPolicy)
	}
}

func TestMovesAttributesAMoveToItsCause(t *testing.T) {
	m := newMoves()
	t0 := time.Unix(1000, 0)
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n1", IDs: []core.ChildID{"a", "b"}}, t0)
	if _, ok := m.lastMove("a"); ok {
		t.Fatal("a first start is no move")
	}
	// n1 goes down: a moves to n2 (cold: removed, then inserted).
	m.hook(core.Hook{Kind: core.HookPreNodesRedistribution, Node: "n1", Detail: "down"}, t0.Add(time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryRemove, Node: "n1", IDs: []core.ChildID{"a", "b"}}, t0.Add(time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n2", IDs: []core.ChildID{"a"}}, t0.Add(2*time.Second))
	mv, ok := m.lastMove("a")
	if !ok || mv.From != "n1" || mv.To != "n2" || mv.Reason != "n1 went down" {
		t.Fatalf("a: %+v %v", mv, ok)
	}
	// Hot swap under a cordon: the new instance starts first.
	m.hook(core.Hook{Kind: core.HookPreNodesRedistribution, Node: "n2", Detail: "cordon"}, t0.Add(3*time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n3", IDs: []core.ChildID{"a"}}, t0.Add(4*time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryRemove, Node: "n2", IDs: []core.ChildID{"a"}}, t0.Add(5*time.Second))
	if mv, _ := m.lastMove("a"); mv.From != "n2" || mv.To != "n3" || mv.Reason != "n2 was cordoned" {
		t.Fatalf("a hot: %+v", mv)
	}
	// b comes back long after any change: the reason says none explains it.
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n3", IDs: []core.ChildID{"b"}}, t0.Add(10*time.Minute))
	if mv, _ := m.lastMove("b"); mv.From != "n1" || mv.Reason != unexplained {
		t.Fatalf("b: %+v", mv)
	}
	// A peer takes c over from n4 before this node notices n4 is down;
	// "n2 came up" before c was placed on n4 does not explain it.
	t1 := t0.Add(time.Hour)
	m.hook(core.Hook{Kind: core.HookPreNodesRedistribution, Node: "n2", Detail: "up"}, t1)
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n4", IDs: []core.ChildID{"c"}}, t1.Add(time.Millisecond))
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n2", IDs: []core.ChildID{"c"}}, t1.Add(time.Second))
	if mv, _ := m.lastMove("c"); mv.From != "n4" || mv.To != "n2" || mv.Reason != unexplained {
		t.Fatalf("c before the down: %+v", mv)
	}
	m.hook(core.Hook{Kind: core.HookPreNodesRedistribution, Node: "n4", Detail: "down"}, t1.Add(2*time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryRemove, Node: "n4", IDs: []core.ChildID{"c"}}, t1.Add(2*time.Second))
	if mv, _ := m.lastMove("c"); mv.Reason != "n4 went down" || len(m.pending) != 0 {
		t.Fatalf("c after the down: %+v (pending %d)", mv, len(m.pending))
	}
	// A node coming up moves children onto it.
	m.hook(core.Hook{Kind: core.HookPreNodesRedistribution, Node: "n6", Detail: "up"}, t1.Add(3*time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryRemove, Node: "n2", IDs: []core.ChildID{"c"}}, t1.Add(3*time.Second))
	m.hook(core.Hook{Kind: core.HookRegistryInsert, Node: "n6", IDs: []core.ChildID{"c"}}, t1.Add(4*time.Second))
	if mv, _ := m.lastMove("c"); mv.From != "n2" || mv.To != "n6" || mv.Reason != "n6 came up" {
		t.Fatalf("c onto n6: %+v", mv)
	}
	m.hook(core.Hook{Kind: core.HookChildPidUpdate, Node: "n3", IDs: []core.ChildID{"b"}, Detail: "restart"}, t0)
	if m.restartCount("b") != 1 || m.restartCount("a") != 0 {
		t.Fatal("restart counts")
	}
}
