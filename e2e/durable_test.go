package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestKillAllRestartAll is the durable registry at the OS level: three
// phubd nodes run exec children, two of them are stopped, then every
// phubd is killed with kill -9 at once (their children die with them) and
// all are started again from their data dirs. Every acknowledged,
// unstopped child runs again — exactly one process each, counted in /proc
// throughout the recovery — and no stopped one comes back. With
// --durable=false the same run brings nothing back: the control that
// shows the test can fail.
func TestKillAllRestartAll(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	for _, durable := range []bool{true, false} {
		t.Run("durable="+strconv.FormatBool(durable), func(t *testing.T) {
			killAllRestartAll(t, bin, durable, nil, 0)
		})
	}
	// The same with majority quorum (initial cluster size 3): the nodes
	// restarted from disk count as the members they remember, regain
	// their majority and serve — the recovered children run once each,
	// and a new start is acknowledged and runs.
	t.Run("durable=true,partition=majority_quorum", func(t *testing.T) {
		killAllRestartAll(t, bin, true, []string{"--partition", "majority_quorum", "--partition-initial", "3"}, 4249000)
	})
}

func killAllRestartAll(t *testing.T, bin string, durable bool, extra []string, base int) {
	c := &cluster{t: t, bin: bin, dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	for _, name := range []string{"da", "db", "dc"} {
		p := &proc{name: name}
		// A node declared down for a moment refuses requests it would
		// route to it ("node down: owner db"); on a loaded machine the
		// default 1 s of the e2e cluster is a scheduling stall, and this
		// test is about the disk, not failure detection.
		p.extra = []string{"--durable=" + strconv.FormatBool(durable), "--down-after", "5s"}
		p.extra = append(p.extra, extra...)
		c.procs = append(c.procs, p)
	}
	for _, p := range c.procs {
		c.start(p)
	}
	if base == 0 {
		base = 4247000
		if !durable {
			base = 4248000
		}
	}
	const n = 6
	argv := func(i int) []string { return []string{"sleep", strconv.Itoa(base + i)} }
	t.Cleanup(func() {
		for i := 0; i <= n; i++ { // job<n> is started after the restart
			for _, pid := range processesWithArgs(argv(i)...) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	c.poll(30*time.Second, "cluster of 3 formed", func() error {
		_, err := c.where(c.procs[0], c.procs...)
		return err
	})
	c.awaitServing(30 * time.Second)
	var specs []spec
	for i := 0; i < n; i++ {
		a := argv(i)
		specs = append(specs, spec{ID: fmt.Sprintf("job%d", i), Kind: "exec", Params: map[string]string{"command": a[0], "args": a[1]}})
	}
	var op opResponse
	if _, err := c.do(c.procs[0], "POST", "/v1/children", startRequest{Specs: specs, Await: true, Timeout: "20s"}, &op); err != nil || !op.OK {
		t.Fatalf("start: %v %+v", err, op)
	}
	stopped := map[int]bool{1: true, 4: true}
	if _, err := c.do(c.procs[1], "DELETE", "/v1/children", map[string]any{"ids": []string{"job1", "job4"}, "await": true}, &op); err != nil || !op.OK {
		t.Fatalf("stop: %v %+v", err, op)
	}
	counts := func(want func(i int) int) error {
		for i := 0; i < n; i++ {
			if got := len(processesWithArgs(argv(i)...)); got != want(i) {
				return fmt.Errorf("job%d: %d processes, want %d", i, got, want(i))
			}
		}
		return nil
	}
	expected := func(i int) int {
		if stopped[i] {
			return 0
		}
		return 1
	}
	c.poll(20*time.Second, "one process per running child, none of the stopped", func() error { return counts(expected) })

	// kill -9 every phubd at once; their exec children die with them.
	for _, p := range c.procs {
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range c.procs {
		<-p.done
	}
	c.poll(20*time.Second, "no child process left after the kill", func() error { return counts(func(int) int { return 0 }) })

	samplers := make([]*processSampler, n)
	for i := range samplers {
		samplers[i] = sampleProcesses(argv(i)...)
	}
	for _, p := range c.procs {
		c.start(p)
	}
	c.poll(60*time.Second, "cluster of 3 formed again", func() error {
		_, err := c.where(c.procs[0], c.procs...)
		return err
	})
	if durable {
		c.poll(60*time.Second, "every acknowledged child running again, once", func() error { return counts(expected) })
		time.Sleep(2 * time.Second) // let a duplicate, if any, show in the samples
	} else {
		// Nothing to wait for: give a wrongly remembered child the time a
		// durable cluster needs, then check none came.
		time.Sleep(5 * time.Second)
	}
	for i, s := range samplers {
		maxSeen, pids := s.result()
		switch {
		case durable && maxSeen > expected(i):
			t.Errorf("job%d: %d processes at once during the recovery (pids %v), want at most %d", i, maxSeen, pids, expected(i))
		case !durable && maxSeen > 0:
			t.Errorf("durable=false: job%d came back after every node was killed (%d processes)", i, maxSeen)
		}
	}
	if durable {
		w, err := c.where(c.procs[2], c.procs...)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("job%d", i)
			if _, ok := w[id]; ok == stopped[i] {
				t.Errorf("%s after the restart: running=%v, stopped before=%v", id, ok, stopped[i])
			}
		}
		// The restarted cluster serves: a new start is acknowledged and
		// runs, once.
		c.awaitServing(60 * time.Second)
		a := argv(n)
		fresh := []spec{{ID: fmt.Sprintf("job%d", n), Kind: "exec", Params: map[string]string{"command": a[0], "args": a[1]}}}
		op = opResponse{}
		if _, err := c.do(c.procs[1], "POST", "/v1/children", startRequest{Specs: fresh, Await: true, Timeout: "20s"}, &op); err != nil || !op.OK {
			t.Fatalf("start after the restart: %v %+v", err, op)
		}
		c.poll(20*time.Second, "the child started after the restart runs once", func() error {
			if got := len(processesWithArgs(a...)); got != 1 {
				return fmt.Errorf("job%d: %d processes, want 1", n, got)
			}
			return nil
		})
		t.Logf("after kill -9 of every node and a restart: %d children run again, once each; %d stopped stay stopped; a new start runs", n-len(stopped), len(stopped))
	}
}

// awaitServing waits until every node of c is ready and holds quorum in
// its own view (with majority quorum, a node refuses as "partitioned"
// until the members it counts have reported it alive).
func (c *cluster) awaitServing(d time.Duration) {
	c.t.Helper()
	c.poll(d, "every node ready, with quorum", func() error {
		for _, p := range c.procs {
			if h, err := c.healthOf(p); err != nil || h.Partitioned || !h.Ready {
				return fmt.Errorf("%s: %+v %v", p.name, h, err)
			}
		}
		return nil
	})
}

// TestDurableEpochFloorAcrossRestart: fencing epochs only grow across a
// kill -9 of every node, even for a child whose tombstone expired and was
// collected before the kill (core/epochfloor.go: the floor is persisted
// in the batch that deletes the tombstone). Three durable nodes with a
// 1 s tombstone TTL start an exec child, stop it, and wait until no node
// holds a tombstone (phub_registry_tombstones 0 everywhere); then every
// phubd is killed and restarted, and the same child started again must
// get an epoch above its tombstone's. The control runs the same with the
// floor kept in memory only (PHUBD_TEST_BROKEN=volatile-epoch-floor):
// the restarted child starts again at or below its old epoch, which shows
// the test can fail.
func TestDurableEpochFloorAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	for i, volatile := range []bool{false, true} {
		t.Run("volatile-floor="+strconv.FormatBool(volatile), func(t *testing.T) {
			before, after := epochAcrossRestart(t, bin, volatile, 4250000+1000*i)
			switch {
			case !volatile && after <= before:
				t.Fatalf("after kill -9 of every node, the child started again at epoch %d, not above its tombstone's %d", after, before)
			case volatile && after > before:
				t.Fatalf("control: with the floor in memory only the child still started above its old epoch (%d > %d): the test cannot fail", after, before)
			}
			t.Logf("tombstone epoch %d collected before the kill; restarted child's epoch %d", before, after)
		})
	}
}

// epochAcrossRestart runs TestDurableEpochFloorAcrossRestart's scenario
// and returns the epoch of the child's tombstone and the epoch of its
// start after the restart.
func epochAcrossRestart(t *testing.T, bin string, volatile bool, arg int) (tombstone, restarted uint64) {
	c := &cluster{t: t, bin: bin, dir: t.TempDir(), http: &http.Client{Timeout: 30 * time.Second}}
	for _, name := range []string{"fa", "fb", "fc"} {
		p := &proc{name: name, extra: []string{"--durable=true", "--down-after", "5s", "--tombstone-ttl", "1s", "--sync-interval", "500ms"}}
		if volatile {
			p.env = []string{"PHUBD_TEST_BROKEN=volatile-epoch-floor"}
		}
		c.procs = append(c.procs, p)
	}
	for _, p := range c.procs {
		c.start(p)
	}
	t.Cleanup(func() {
		for _, pid := range processesWithArgs("sleep", strconv.Itoa(arg)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	c.poll(30*time.Second, "cluster of 3 formed", func() error {
		_, err := c.where(c.procs[0], c.procs...)
		return err
	})
	c.awaitServing(30 * time.Second)
	start := func(p *proc) uint64 {
		t.Helper()
		job := []spec{{ID: "fenced", Kind: "exec", Params: map[string]string{"command": "sleep", "args": strconv.Itoa(arg)}}}
		var op opResponse
		if _, err := c.do(p, "POST", "/v1/children", startRequest{Specs: job, Await: true, Timeout: "20s"}, &op); err != nil || !op.OK || len(op.Results) != 1 || op.Results[0].Epoch == 0 {
			t.Fatalf("start on %s: %v %+v", p.name, err, op)
		}
		return op.Results[0].Epoch
	}
	first := start(c.procs[0])
	var op opResponse
	if _, err := c.do(c.procs[1], "DELETE", "/v1/children", map[string]any{"ids": []string{"fenced"}, "await": true}, &op); err != nil || !op.OK {
		t.Fatalf("stop: %v %+v", err, op)
	}
	tombstone = first + 1 // a stop writes its tombstone one epoch up
	c.poll(30*time.Second, "every node collected the tombstone", func() error {
		for _, p := range c.procs {
			m, err := c.metrics(p)
			if err != nil {
				return err
			}
			if n, ok := m["phub_registry_tombstones"]; !ok || n != 0 {
				return fmt.Errorf("%s: phub_registry_tombstones %v (present %v)", p.name, n, ok)
			}
		}
		return nil
	})

	for _, p := range c.procs {
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range c.procs {
		<-p.done
	}
	for _, p := range c.procs {
		c.start(p)
	}
	c.poll(60*time.Second, "cluster of 3 formed again", func() error {
		_, err := c.where(c.procs[0], c.procs...)
		return err
	})
	c.awaitServing(60 * time.Second)
	return tombstone, start(c.procs[2])
}
