package e2e

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// TestWhichGlobalNamesTheNodeThatDidNotAnswer is README's
// which_children(hub, [:global]) row on real processes: "every node's
// children; nodes that did not answer in time are returned as
// unreachable, never hidden". Three phubd (down after 60 s, so the killed
// node stays a member for the test) run 12 children. First the global
// answer through wg-1 equals the union of every node's local answer,
// child for child. Then wg-3 is killed (kill -9): an answer through wg-1
// with a 1 s timeout names wg-3 as unreachable, lists wg-1 and wg-2 with
// their local children, and nothing else. The control runs with
// PHUBD_TEST_BROKEN=which-global-drops-child (a peer's first child left
// out of the global answer) and must see the answer differ from the
// local ones.
func TestWhichGlobalNamesTheNodeThatDidNotAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("which-global-drops-child=%v", broken), func(t *testing.T) {
			errs := whichGlobalRun(t, bin, broken)
			switch {
			case !broken && len(errs) > 0:
				t.Fatalf("%d mismatches, first: %s", len(errs), strings.Join(errs, "\n"))
			case broken && len(errs) == 0:
				t.Fatal("control: with a child dropped from every peer's answer the global answer still matched the local ones: the test cannot fail")
			}
			t.Logf("%d mismatches: %v", len(errs), errs)
		})
	}
}

func whichGlobalRun(t *testing.T, bin string, broken bool) []string {
	await := loadwait.Scale(20 * time.Second)
	c := formThree(t, bin, "wg", await, []string{"--down-after", "60s", "--request-timeout", await.String()}, knobEnv(broken, "which-global-drops-child")...)
	const n = 12
	req := startRequest{Await: true, Timeout: await.String()}
	for i := 0; i < n; i++ {
		req.Specs = append(req.Specs, spec{ID: fmt.Sprintf("wg%02d", i), Kind: "counter", Params: map[string]string{"interval_ms": "1000"}})
	}
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", req, &op); err != nil || !op.OK {
		t.Fatalf("awaited start of %d children: %v %+v", n, err, op)
	}
	local := func(p *proc) []string {
		var w whichResponse
		if _, err := c.do(p, "GET", "/v1/which?scope=local", nil, &w); err != nil || len(w.Nodes) != 1 {
			t.Fatalf("which local on %s: %v %+v", p.name, err, w)
		}
		var ids []string
		for _, ch := range w.Nodes[0].Children {
			ids = append(ids, ch.ID)
		}
		slices.Sort(ids)
		return ids
	}
	// Every child runs (on its node, once) before the comparison.
	c.poll(20*time.Second, "every child running", func() error {
		total := 0
		for _, p := range c.procs {
			total += len(local(p))
		}
		if total != n {
			return fmt.Errorf("%d of %d children running", total, n)
		}
		return nil
	})
	var errs []string
	compare := func(stage string, answering []*proc, silent []*proc) {
		var w whichResponse
		if _, err := c.do(c.procs[0], "GET", "/v1/which?scope=global&timeout=1s", nil, &w); err != nil {
			errs = append(errs, fmt.Sprintf("%s: which global: %v", stage, err))
			return
		}
		got := map[string][]string{}
		for _, nc := range w.Nodes {
			var ids []string
			for _, ch := range nc.Children {
				ids = append(ids, ch.ID)
			}
			slices.Sort(ids)
			got[nc.Node] = ids
		}
		for _, p := range answering {
			want := local(p)
			if ids, ok := got[p.name]; !ok || !slices.Equal(ids, want) {
				errs = append(errs, fmt.Sprintf("%s: global answer for %s lists %v (present %v), its local answer %v", stage, p.name, ids, ok, want))
			}
			delete(got, p.name)
		}
		for _, p := range silent {
			if !slices.Contains(w.Unreachable, p.name) {
				errs = append(errs, fmt.Sprintf("%s: %s did not answer, yet it is not listed unreachable (unreachable %v)", stage, p.name, w.Unreachable))
			}
			delete(got, p.name)
		}
		for node := range got {
			errs = append(errs, fmt.Sprintf("%s: global answer lists %s, which should not have answered", stage, node))
		}
	}
	compare("all up", c.procs, nil)

	victim := c.procs[2]
	if err := syscall.Kill(-victim.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	compare("after kill -9 of "+victim.name, c.procs[:2], []*proc{victim})
	return errs
}
