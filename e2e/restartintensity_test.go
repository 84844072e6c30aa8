package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// defaultMaxRestarts is core.DefaultConfig's Restart.MaxRestarts (README's
// Strategies table: 3 in Restart.Window, 5 s).
const defaultMaxRestarts = 3

// TestCrashLoopIsUnregisteredAfterMaxRestarts is README's restart
// intensity on real processes: a permanent exec child (singularity) that
// exits abnormally 100 ms after each start is restarted by its node
// Restart.MaxRestarts times (default 3 within Restart.Window, 5 s) and
// then, being its last running replica, unregistered: every node's local
// lookup answers not_found, and the process ran exactly MaxRestarts + 1
// times (each run appends a line to a file). The control runs the same
// with PHUBD_TEST_BROKEN=intensity-off-by-one and must count one run
// more, which shows the test can fail.
func TestCrashLoopIsUnregisteredAfterMaxRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("intensity-off-by-one=%v", broken), func(t *testing.T) {
			runs := crashLoopRuns(t, bin, broken)
			want := defaultMaxRestarts + 1
			switch {
			case !broken && runs != want:
				t.Fatalf("the crash-looping child ran %d times before it was unregistered, want %d (MaxRestarts %d + the first run)", runs, want, defaultMaxRestarts)
			case broken && runs == want:
				t.Fatalf("control: with one restart too many allowed the child still ran %d times: the test cannot fail", runs)
			}
			t.Logf("ran %d times, then unregistered on every node", runs)
		})
	}
}

// crashLoopRuns runs the scenario and returns how often the child ran by
// the time every node answers not_found for it.
func crashLoopRuns(t *testing.T, bin string, broken bool) int {
	await := loadwait.Scale(20 * time.Second)
	c := formThree(t, bin, "rs", await, loadScaledDetection(), knobEnv(broken, "intensity-off-by-one")...)

	runsFile := filepath.Join(c.dir, "runs")
	script := fmt.Sprintf("echo run >> '%s'; sleep 0.1; exit 3", runsFile)
	args, _ := json.Marshal([]string{"-c", script})
	job := startRequest{Specs: []spec{{ID: "loop", Kind: "exec", Params: map[string]string{"command": "sh", "args": string(args)}}}, Await: true, Timeout: await.String()}
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", job, &op); err != nil || !op.OK {
		t.Fatalf("awaited start: %v %+v", err, op)
	}
	runs := func() int {
		b, _ := os.ReadFile(runsFile)
		return strings.Count(string(b), "run\n")
	}
	c.poll(20*time.Second, "the crash-looping child unregistered on every node", func() error {
		for _, p := range c.procs {
			if _, code := c.lookupEpoch(p, "loop", "local"); code != "not_found" {
				return fmt.Errorf("%s: local lookup %s after %d runs", p.name, code, runs())
			}
		}
		return nil
	})
	return runs()
}
