package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// TestAwaitedStartAnsweredAfterTheProbe is README's "an awaited start is
// answered after the owner's instance is ready ... an exec child once its
// process started, or passed its ready.line/ready.file probe" on real
// processes: three phubd; an exec child started through a node that does
// not own it writes a marker file after 1 s (× the load factor), then
// prints READY (its ready.line) and sleeps. When the awaited start returns, the marker
// must exist — the answer came after the probe passed, on whichever node
// runs it. The control starts the same command without the probe (ready
// once launched) and must find the marker missing at the answer, which
// shows the check can fail.
func TestAwaitedStartAnsweredAfterTheProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	await := loadwait.Scale(20 * time.Second)
	c := formThree(t, buildPhubd(t), "rd", await, loadScaledDetection())

	base := uniqueSleep()
	first, _ := strconv.Atoi(base[1])
	t.Cleanup(func() {
		for i := 0; i < 2; i++ {
			for _, pid := range processesWithArgs("sleep", strconv.Itoa(first+i)) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	for i, probe := range []bool{true, false} {
		id := fmt.Sprintf("ready-probe-%v", probe)
		marker := filepath.Join(c.dir, id+".marker")
		// The head start before READY: 1 s × the load factor, so the
		// control's answer (at launch) comes before it on a loaded
		// machine too.
		delay := loadwait.Scale(time.Second).Seconds()
		script := fmt.Sprintf("sleep %.2f; touch '%s'; echo READY; exec sleep %d", delay, marker, first+i)
		args, _ := json.Marshal([]string{"-c", script})
		params := map[string]string{"command": "sh", "args": string(args)}
		if probe {
			params["ready.line"] = "READY"
		}
		// Through a node that is not the child's owner.
		var r ringResponse
		if _, err := c.do(c.procs[0], "GET", "/v1/ring?id="+id, nil, &r); err != nil {
			t.Fatal(err)
		}
		via := c.procs[0]
		if r.Owner == via.name {
			via = c.procs[1]
		}
		var op opResponse
		if _, err := c.do(via, "POST", "/v1/children", startRequest{Specs: []spec{{ID: id, Kind: "exec", Params: params}}, Await: true, Timeout: await.String()}, &op); err != nil || !op.OK {
			t.Fatalf("awaited start of %s through %s: %v %+v", id, via.name, err, op)
		}
		_, err := os.Stat(marker)
		switch {
		case probe && err != nil:
			t.Errorf("the awaited start of %s (ready.line READY) through %s was answered before the process printed READY (no marker yet: %v)", id, via.name, err)
		case !probe && err == nil:
			t.Errorf("control: without a probe the awaited start of %s was answered only after the process's head start (%.2f s): the check cannot fail", id, delay)
		}
		t.Logf("%s through %s (owner %s): marker at the answer: %v", id, via.name, r.Owner, err == nil)
	}
}
