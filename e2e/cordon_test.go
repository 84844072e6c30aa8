package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// TestCordonMovesChildrenOffARealNode is README's cordon promise (the
// Semantics table's children_redist_init row) on three phubd running exec
// children (sleep, which exits at SIGTERM) under the default cold swap: a
// cordon sent through another node moves every child off the cordoned
// node, a start while it is cordoned places nothing on it, the last
// uncordoned node refuses a cordon (409 no_uncordoned_node), and after the
// uncordon the children go back to their ring placement — with never two
// processes of one child at once throughout (counted in /proc; "no child
// runs twice under cold swap"). The same in strict mode with children
// that ignore SIGTERM (so the old process lives until the exec grace's
// SIGKILL, 1 s): strict mode holds a child's lease until its process
// exited, so even those never overlap (under cold swap outside strict
// mode they do: TestColdSwapMoveWaitsForAProcessSlowToExit). The control
// cordons under hot swap, whose
// new instance starts before the old one stops, with children that ignore
// SIGTERM (so the old process lives until the exec grace's SIGKILL, 1 s),
// and must see two processes of a moved child at once, which shows the
// count catches the overlap of a move.
func TestCordonMovesChildrenOffARealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	t.Run("cold_swap", func(t *testing.T) {
		moved, overlaps := cordonMoves(t, bin, false, false, false)
		for _, o := range overlaps {
			t.Errorf("cold swap: %s", o)
		}
		t.Logf("cold swap: %d children moved off the cordoned node, never two processes of one child at once", moved)
	})
	t.Run("strict_slow_exit", func(t *testing.T) {
		moved, overlaps := cordonMoves(t, bin, false, true, true)
		for _, o := range overlaps {
			t.Errorf("strict mode: %s", o)
		}
		t.Logf("strict mode, children ignoring SIGTERM: %d children moved off the cordoned node, never two processes of one child at once", moved)
	})
	t.Run("control_hot_swap", func(t *testing.T) {
		moved, overlaps := cordonMoves(t, bin, true, true, false)
		if len(overlaps) == 0 {
			t.Fatalf("control: under hot swap none of the %d moved children was seen as two processes at once: the count cannot catch an overlap", moved)
		}
		t.Logf("hot swap: %d of %d moved children seen as two processes at once, first: %s", len(overlaps), moved, overlaps[0])
	})
}

// TestColdSwapMoveWaitsForAProcessSlowToExit is cold swap's promise
// ("the old holder stops first, the new one starts once the claim is
// gone") on real processes slow to exit: exec children that ignore
// SIGTERM (1 s exec grace) are moved by a cordon, and no child is ever
// seen as two processes at once (counted in /proc throughout). The old
// holder keeps its claim until the runtime reports the process gone
// (core/exiting.go, child.go's awaitExit); before, it released the claim
// when it told the child to stop, and 6 of 9 children were seen as 2–4
// processes at once.
func TestColdSwapMoveWaitsForAProcessSlowToExit(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	moved, overlaps := cordonMoves(t, buildPhubd(t), false, true, false)
	for _, o := range overlaps {
		t.Error(o)
	}
	t.Logf("%d moved children, %d seen as two processes at once", moved, len(overlaps))
}

// cordonMoves runs the cordon scenario (only up to the first moves with
// hot, or with stubborn outside strict mode) and returns how many
// children the cordon moved and, for each child seen as more than one
// process at once, what was seen.
func cordonMoves(t *testing.T, bin string, hot, stubborn, strict bool) (moved int, overlaps []string) {
	await := loadwait.Scale(20 * time.Second)
	extra := append(loadScaledDetection(), "--exec-grace", "1s")
	if hot {
		extra = append(extra, "--migration", "hot_swap", "--migration-retention", "2s")
	}
	if strict {
		extra = append(extra, "--partition", "strict", "--partition-voters", "cd-1,cd-2,cd-3")
	}
	c := formThree(t, bin, "cd", await, extra)

	const n = 9
	base := uniqueSleep()
	argv := func(i int) []string {
		a, _ := strconv.Atoi(base[1])
		return []string{"sleep", strconv.Itoa(a + i)}
	}
	t.Cleanup(func() {
		for i := 0; i < n+3; i++ {
			for _, pid := range processesWithArgs(argv(i)...) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	var specs []spec
	var argvs [][]string
	for i := 0; i < n; i++ {
		a := argv(i)
		specs = append(specs, sleepChild(fmt.Sprintf("cd%02d", i), a, stubborn))
		argvs = append(argvs, a)
	}
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", startRequest{Specs: specs, Await: true, Timeout: await.String()}, &op); err != nil || !op.OK {
		t.Fatalf("awaited start of %d exec children: %v %+v", n, err, op)
	}
	c.poll(20*time.Second, "every child running once", c.eachRunningOnce(c.procs[0], c.procs, specs, argvs))
	at, err := c.where(c.procs[0], c.procs...)
	if err != nil {
		t.Fatal(err)
	}
	// Cordon the node holding the most children.
	victim := c.procs[0]
	held := map[string]int{}
	for _, r := range at {
		held[r.Node]++
	}
	for _, p := range c.procs {
		if held[p.name] > held[victim.name] {
			victim = p
		}
	}
	others := slices.DeleteFunc(slices.Clone(c.procs), func(p *proc) bool { return p == victim })
	samplers := make([]*processSampler, n)
	for i := range samplers {
		samplers[i] = sampleProcesses(argvs[i]...)
	}

	if _, err := c.do(others[0], "POST", "/v1/nodes/"+victim.name+"/cordon", nil, nil); err != nil {
		t.Fatalf("cordon %s through %s: %v", victim.name, others[0].name, err)
	}
	offVictim := func() error {
		if err := c.eachRunningOnce(c.procs[0], c.procs, specs, argvs)(); err != nil {
			return err
		}
		at, err := c.where(c.procs[0], c.procs...)
		if err != nil {
			return err
		}
		for id, r := range at {
			if r.Node == victim.name {
				return fmt.Errorf("%s still runs on the cordoned %s", id, victim.name)
			}
		}
		return nil
	}
	c.poll(20*time.Second, fmt.Sprintf("the %d children of %s moved off it", held[victim.name], victim.name), offVictim)
	if hot || (stubborn && !strict) {
		// The control ends here: the moves it made are the overlap. So
		// does TestColdSwapMoveWaitsForAProcessSlowToExit (the moves off
		// are its subject; each move back would wait out a 1 s grace).
		return held[victim.name], samplerOverlaps(specs, samplers)
	}

	// A start while cordoned places nothing on the cordoned node.
	more := []spec{}
	for i := n; i < n+3; i++ {
		a := argv(i)
		more = append(more, sleepChild(fmt.Sprintf("cd%02d", i), a, stubborn))
	}
	op = opResponse{}
	if _, err := c.do(victim, "POST", "/v1/children", startRequest{Specs: more, Await: true, Timeout: await.String()}, &op); err != nil || !op.OK {
		t.Fatalf("start through the cordoned %s: %v %+v", victim.name, err, op)
	}
	for _, r := range op.Results {
		if slices.Contains(r.Nodes, victim.name) {
			t.Errorf("%s started on the cordoned %s", r.ID, victim.name)
		}
	}

	// The last uncordoned node refuses.
	if _, err := c.do(others[0], "POST", "/v1/nodes/"+others[0].name+"/cordon", nil, nil); err != nil {
		t.Fatalf("cordon %s: %v", others[0].name, err)
	}
	if status, b, err := c.raw(others[1], "POST", "/v1/nodes/"+others[1].name+"/cordon", nil); err != nil || status != http.StatusConflict {
		t.Errorf("cordon of the last uncordoned node %s: HTTP %d %s %v, want 409 no_uncordoned_node", others[1].name, status, b, err)
	}
	for _, p := range []*proc{others[0], victim} {
		if _, err := c.do(p, "POST", "/v1/nodes/"+p.name+"/uncordon", nil, nil); err != nil {
			t.Fatalf("uncordon %s: %v", p.name, err)
		}
	}
	all := append(slices.Clone(specs), more...)
	ids := make([]string, len(all))
	allArgv := slices.Clone(argvs)
	for i, s := range all {
		ids[i] = s.ID
		if i >= n {
			allArgv = append(allArgv, argv(i))
		}
	}
	c.poll(30*time.Second, "every child back on its ring placement, once", func() error {
		if err := c.onPlacement(c.procs[0], ids); err != nil {
			return err
		}
		return c.eachRunningOnce(c.procs[0], c.procs, all, allArgv)()
	})
	back := 0
	if at, err := c.where(c.procs[0], c.procs...); err == nil {
		for _, r := range at {
			if r.Node == victim.name {
				back++
			}
		}
	}
	if held[victim.name] > 0 && back == 0 {
		t.Errorf("after the uncordon no child runs on %s again (it held %d)", victim.name, held[victim.name])
	}
	t.Logf("%d children moved off %s and %d back", held[victim.name], victim.name, back)
	return held[victim.name], samplerOverlaps(specs, samplers)
}

// samplerOverlaps stops the samplers and describes each child seen as
// more than one process at once.
func samplerOverlaps(specs []spec, samplers []*processSampler) []string {
	var out []string
	for i, s := range samplers {
		if most, pids := s.result(); most > 1 {
			var spans []string
			for _, p := range pids {
				if g, ok := s.sightingOf(p); ok {
					spans = append(spans, fmt.Sprintf("pid %d on %s seen for %v", p, g.node, time.Duration(g.last-g.first).Round(time.Millisecond)))
				}
			}
			out = append(out, fmt.Sprintf("%s: %d processes at once (%s)", specs[i].ID, most, strings.Join(spans, "; ")))
		}
	}
	return out
}

// sleepChild is an exec child that runs argv (a sleep); a stubborn one
// ignores SIGTERM (an ignored signal stays ignored across exec), so only
// the exec grace's SIGKILL ends it.
func sleepChild(id string, argv []string, stubborn bool) spec {
	if !stubborn {
		return spec{ID: id, Kind: "exec", Params: map[string]string{"command": argv[0], "args": argv[1]}}
	}
	script := fmt.Sprintf("trap '' TERM; exec %s %s", argv[0], argv[1])
	args, _ := json.Marshal([]string{"-c", script})
	return spec{ID: id, Kind: "exec", Params: map[string]string{"command": "sh", "args": string(args)}}
}
