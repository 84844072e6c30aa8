package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// browserPath finds Debian's chromium (or $PHUB_CHROMIUM). Outside CI a
// missing browser skips the test with the command that installs it; in
// CI (.ci/run installs chromium) it fails.
func browserPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PHUB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium in CI: .ci/run installs it with apt-get install -y chromium")
	}
	t.Skip("browser tests need chromium: apt-get install -y chromium (or set PHUB_CHROMIUM)")
	return ""
}

// screenshotDir is $PHUB_SCREENSHOTS, else a temporary directory: the
// screenshots are reports, never written into the repository.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("PHUB_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// page drives one browser tab against a node's dashboard.
type page struct {
	t     *testing.T
	ctx   context.Context
	c     *cluster
	shots string
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, loadwait.Scale(60*time.Second))
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("browser: %s: %v\n%s", what, err, p.c.logs())
	}
}

func (p *page) eval(expr string) (string, error) {
	ctx, cancel := context.WithTimeout(p.ctx, loadwait.Scale(20*time.Second))
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](expr))
}

// until polls a JavaScript expression (a string; "" means not yet) in the
// page without reloading it, until it yields want; d is the deadline on a
// quiet machine, grown with the load measured while waiting (loadwait).
func (p *page) until(d time.Duration, what, expr, want string) {
	p.t.Helper()
	deadline := loadwait.Start(d)
	var got string
	var err error
	for !deadline.Passed() {
		if got, err = p.eval(expr); err == nil && got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
	p.t.Fatalf("browser: timed out after %s (%s at load factor %.1f) waiting for %s: got %q (err %v), want %q\n%s", deadline.Bound(), d, deadline.Factor(), what, got, err, want, p.c.logs())
}

func (p *page) shot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(p.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
}

// The dashboard in a real browser on a real 3-node cluster: a wrong token
// is refused, the login shows every member, children started through the
// API appear live, a killed node is marked down live and its children
// move, the placement page explains a child's node, and a child is
// stopped from its page through the confirmation.
func TestDashboardInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes and a browser")
	}
	browser := browserPath(t)
	c := &cluster{t: t, bin: buildPhubd(t), dir: t.TempDir(), http: &http.Client{Timeout: loadwait.Scale(30 * time.Second)}}
	for i := 0; i < 3; i++ {
		c.procs = append(c.procs, &proc{name: fmt.Sprintf("node-%d", i+1), extra: loadScaledDetection()})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	a, victim := c.procs[0], c.procs[2]
	c.waitFormed(30 * time.Second)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1200, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// The first action starts the browser, which lives as long as that
	// action's context: bctx, without a timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	p := &page{t: t, ctx: bctx, c: c, shots: screenshotDir(t)}
	base := "http://" + a.admin

	t.Log("a wrong token is refused")
	p.do("open the dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("token")))
	p.until(10*time.Second, "redirect to the login form", "location.pathname", "/ui/login")
	p.do("log in with a wrong token", chromedp.SendKeys(chromedp.ID("token"), "not-the-token"), chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	p.until(10*time.Second, "refusal shown", `document.getElementById("login-error").textContent`, "Wrong token.")
	p.until(10*time.Second, "no session cookie readable by scripts", `document.cookie`, "")
	p.shot("login-refused")

	t.Log("log in and see every member")
	p.do("log in", chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("members")))
	p.until(10*time.Second, "three alive members", `String(document.querySelectorAll('#members tr[data-status="alive"]').length)`, "3")
	p.until(20*time.Second, "live stream connected", `document.getElementById("live-status").textContent`, "live")
	p.until(5*time.Second, "a cookie the page cannot read (HttpOnly)", `document.cookie`, "")

	t.Log("start children and see them appear live")
	p.do("children page", chromedp.Navigate(base+"/ui/children"), chromedp.WaitVisible(chromedp.ID("children")))
	p.until(20*time.Second, "live stream connected", `document.getElementById("live-status").textContent`, "live")
	p.until(5*time.Second, "mark the page", `window.notReloaded = true; "marked"`, "marked")
	var ids []string
	var req startRequest
	for i := 0; i < 24; i++ {
		id := fmt.Sprintf("web-%02d", i)
		ids = append(ids, id)
		req.Specs = append(req.Specs, spec{ID: id, Kind: "counter"})
	}
	req.Await, req.Timeout = true, "20s"
	var started opResponse
	if _, err := c.do(a, "POST", "/v1/children", req, &started); err != nil || !started.OK {
		t.Fatalf("start: %v %+v", err, started)
	}
	p.until(30*time.Second, "24 children listed", `String(document.querySelectorAll('#children tr[data-child]').length)`, "24")
	p.until(5*time.Second, "no reload (live update)", `String(window.notReloaded === true)`, "true")
	p.shot("children")

	t.Log("the placement page explains a child's node")
	id := ids[0]
	var ring ringResponse
	if _, err := c.do(a, "GET", "/v1/ring?id="+id, nil, &ring); err != nil {
		t.Fatal(err)
	}
	p.do("child page", chromedp.Navigate(base+"/ui/children/"+id), chromedp.WaitVisible(chromedp.ID("why")))
	p.until(10*time.Second, "owner shown", `document.getElementById("owner").textContent`, ring.Owner)
	p.until(10*time.Second, "placement shown", `document.getElementById("placement").textContent`, strings.Join(ring.Placement, ", "))
	p.until(10*time.Second, "replica shown", `document.getElementById("replicas").textContent.split(" ")[0]`, ring.RunningOn[0].Node)
	p.shot("placement")

	t.Log("kill a node: marked down live, its children move")
	p.do("cluster page", chromedp.Navigate(base+"/ui/"), chromedp.WaitVisible(chromedp.ID("members")))
	p.until(20*time.Second, "live stream connected", `document.getElementById("live-status").textContent`, "live")
	p.until(5*time.Second, "mark the page", `window.notReloaded = true; "marked"`, "marked")
	onVictim, moved := 0, ""
	if w, err := c.where(a, c.procs...); err == nil {
		for id, r := range w {
			if r.Node == victim.name {
				onVictim++
				moved = id
			}
		}
	}
	if moved == "" {
		t.Fatalf("no child runs on %s", victim.name)
	}
	if err := syscall.Kill(victim.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	p.until(30*time.Second, victim.name+" marked down",
		`(document.querySelector('#members tr[data-member="`+victim.name+`"]') || {dataset: {}}).dataset.status || ""`, "down")
	p.until(5*time.Second, "no reload (live update)", `String(window.notReloaded === true)`, "true")
	p.shot("cluster-node-down")
	p.do("children page", chromedp.Navigate(base+"/ui/children"), chromedp.WaitVisible(chromedp.ID("children")))
	p.until(60*time.Second, "every child runs on a live node",
		`String([...document.querySelectorAll('#children tr[data-child]')].filter(r => { const ns = [...r.querySelectorAll('.replica')].map(s => s.dataset.node); return ns.length === 1 && ns[0] !== "`+victim.name+`" }).length)`, "24")
	t.Logf("%d of 24 children ran on %s and moved", onVictim, victim.name)
	p.shot("children-moved")
	p.do("moved child's page", chromedp.Navigate(base+"/ui/children/"+moved), chromedp.WaitVisible(chromedp.ID("why")))
	p.until(10*time.Second, "its last migration and why",
		`(t => String(t.startsWith("from `+victim.name+` to node-") && t.includes("because `+victim.name+` went down")))(document.getElementById("last-move").textContent)`, "true")
	p.shot("placement-after-move")

	t.Log("stop a child from its page, through the confirmation")
	last := ids[len(ids)-1]
	p.do("child page", chromedp.Navigate(base+"/ui/children/"+last), chromedp.WaitVisible(chromedp.ID("why")))
	p.do("stop", chromedp.Click(chromedp.CSS(`button[data-action="stop"]`)), chromedp.WaitVisible(chromedp.ID("confirm-yes")))
	p.until(10*time.Second, "the confirmation says what happens", `document.getElementById("confirm-what").textContent.split(":")[0]`, "Stop child "+last)
	p.shot("confirm-stop")
	p.do("confirm", chromedp.Click(chromedp.ID("confirm-yes")), chromedp.WaitVisible(chromedp.ID("flash")))
	p.until(30*time.Second, "the outcome shown", `document.getElementById("flash").textContent`, "stop "+last+": done")
	if _, err := c.do(a, "GET", "/v1/children/"+last, nil, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("%s still registered after the dashboard stopped it: %v", last, err)
	}
	p.do("children page", chromedp.Navigate(base+"/ui/children"), chromedp.WaitVisible(chromedp.ID("children")))
	p.until(30*time.Second, "23 children listed", `String(document.querySelectorAll('#children tr[data-child]').length)`, "23")
}
