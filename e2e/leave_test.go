package e2e

import (
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// TestGracefulLeaveMovesEachChildOnce is README's graceful leave (Close,
// SIGTERM: "leaves gracefully: its children move to the others"; "at a
// leave there is a gap, not an overlap") on real processes under the
// default cold swap: three phubd run 9 exec children (sleep, which exits
// at SIGTERM); the node holding the most gets SIGTERM and exits 0, and
// every child runs again on the two others as exactly one process, with
// never two processes of one child at once (counted in /proc
// throughout). TestGracefulLeaveWaitsForAProcessSlowToExit runs it with
// children slow to exit.
func TestGracefulLeaveMovesEachChildOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	for _, o := range gracefulLeave(t, false) {
		t.Error(o)
	}
}

// TestGracefulLeaveWaitsForAProcessSlowToExit is README's "at a leave
// there is a gap, not an overlap" for children slow to exit: with exec
// children that ignore SIGTERM (exec grace 1 s) the leaving node
// announces its leave only once its processes are gone
// (core/exiting.go), so the taker never starts a child while the old
// process still runs. Before, 4 of 4 moved children overlapped for about
// the grace (0.95 s).
func TestGracefulLeaveWaitsForAProcessSlowToExit(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	for _, o := range gracefulLeave(t, true) {
		t.Error(o)
	}
}

// gracefulLeave runs the leave scenario and returns the children seen as
// more than one process at once.
func gracefulLeave(t *testing.T, stubborn bool) []string {
	await := loadwait.Scale(20 * time.Second)
	c := formThree(t, buildPhubd(t), "gl", await, append(loadScaledDetection(), "--exec-grace", "1s"))

	const n = 9
	base := uniqueSleep()
	first, _ := strconv.Atoi(base[1])
	var specs []spec
	var argvs [][]string
	for i := 0; i < n; i++ {
		a := []string{"sleep", strconv.Itoa(first + i)}
		specs = append(specs, sleepChild(fmt.Sprintf("gl%02d", i), a, stubborn))
		argvs = append(argvs, a)
	}
	t.Cleanup(func() {
		for _, a := range argvs {
			for _, pid := range processesWithArgs(a...) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", startRequest{Specs: specs, Await: true, Timeout: await.String()}, &op); err != nil || !op.OK {
		t.Fatalf("awaited start of %d exec children: %v %+v", n, err, op)
	}
	c.poll(20*time.Second, "every child running once", c.eachRunningOnce(c.procs[0], c.procs, specs, argvs))
	at, err := c.where(c.procs[0], c.procs...)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]int{}
	for _, r := range at {
		held[r.Node]++
	}
	leaver := c.procs[0]
	for _, p := range c.procs {
		if held[p.name] > held[leaver.name] {
			leaver = p
		}
	}
	var stay []*proc
	for _, p := range c.procs {
		if p != leaver {
			stay = append(stay, p)
		}
	}
	samplers := make([]*processSampler, n)
	for i := range samplers {
		samplers[i] = sampleProcesses(argvs[i]...)
	}
	if err := leaver.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leaver.done:
	case <-time.After(loadwait.Scale(30 * time.Second)):
		t.Fatalf("%s did not exit after SIGTERM\n%s", leaver.name, c.logs())
	}
	if leaver.err != nil {
		t.Fatalf("%s exited with %v after SIGTERM, want status 0\n%s", leaver.name, leaver.err, c.logs())
	}
	c.poll(20*time.Second, "every child running once on the nodes that stayed", c.eachRunningOnce(stay[0], stay, specs, argvs))
	t.Logf("%s left with %d children; all %d run once on the others", leaver.name, held[leaver.name], n)
	return samplerOverlaps(specs, samplers)
}
