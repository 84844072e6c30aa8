package kinds_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
)

// fakeEnv is a ChildEnv for running a child without a hub.
type fakeEnv struct {
	spec      core.ChildSpec
	epoch     uint64
	state     []byte
	signals   chan bool
	handover  chan []byte
	fenced    chan struct{}
	confirmed atomic.Int32
}

func newEnv(spec core.ChildSpec, epoch uint64, state []byte) *fakeEnv {
	return &fakeEnv{spec: spec, epoch: epoch, state: state, signals: make(chan bool, 1), handover: make(chan []byte, 1), fenced: make(chan struct{})}
}

func (e *fakeEnv) ID() core.ChildID { return e.spec.ID }
func (e *fakeEnv) Epoch() uint64    { return e.epoch }
func (e *fakeEnv) Instance() uint64 { return 7 }
func (e *fakeEnv) Fence() core.Fence {
	return core.Fence{Epoch: e.epoch, Incarnation: 5, Instance: 7, Node: "n1"}
}
func (e *fakeEnv) Spec() core.ChildSpec      { return e.spec }
func (e *fakeEnv) Node() core.NodeID         { return "n1" }
func (e *fakeEnv) Logger() *slog.Logger      { return slog.Default() }
func (e *fakeEnv) State() []byte             { return e.state }
func (e *fakeEnv) Active() bool              { return true }
func (e *fakeEnv) Signals() <-chan bool      { return e.signals }
func (e *fakeEnv) HandoverIn() <-chan []byte { return e.handover }
func (e *fakeEnv) Confirm()                  { e.confirmed.Add(1) }
func (e *fakeEnv) OnHandover(func() []byte)  {}
func (e *fakeEnv) Fenced() <-chan struct{}   { return e.fenced }

var _ phub.ChildEnv = (*fakeEnv)(nil)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // generous: the machine may be loaded
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func run(ctx context.Context, c phub.Child, env phub.ChildEnv) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, env) }()
	return done
}

func TestCounter(t *testing.T) {
	cs := kinds.NewCounters()
	spec := core.ChildSpec{ID: "c1", Kind: kinds.CounterKind, Params: map[string]string{"interval_ms": "1"}}
	if _, err := cs.Factory(core.ChildSpec{ID: "bad", Params: map[string]string{"interval_ms": "0"}}); err == nil {
		t.Fatal("interval_ms 0 accepted")
	}
	child, err := cs.Factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	env := newEnv(spec, 3, []byte("100"))
	done := run(ctx, child, env)
	waitFor(t, "counting from 100", func() bool { v, _ := cs.Value("c1"); return v >= 110 })
	info, _ := cs.Info("c1")
	if !info.Handover || info.From != 100 || info.Epoch != 3 || info.Instance != 7 || !info.Running {
		t.Fatalf("info %+v", info)
	}
	// Handover out: the count as decimal.
	hp, ok := child.(phub.HandoverProvider)
	if !ok {
		t.Fatal("counter is not a HandoverProvider")
	}
	if st := string(hp.Handover()); !strings.HasPrefix(st, "1") || len(st) < 3 {
		t.Fatalf("handover state %q", st)
	}
	// Handover in while running: continue from the received count.
	env.handover <- []byte("5000")
	waitFor(t, "confirm", func() bool { return env.confirmed.Load() == 1 })
	if v, _ := cs.Value("c1"); v < 5000 {
		t.Fatalf("count %d after handover of 5000", v)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if info, _ := cs.Info("c1"); info.Running {
		t.Fatal("still running after Run returned")
	}
	// A bad initial state is an abnormal exit.
	child2, _ := cs.Factory(core.ChildSpec{ID: "c2"})
	if err := child2.Run(context.Background(), newEnv(core.ChildSpec{ID: "c2"}, 1, []byte("x"))); err == nil {
		t.Fatal("bad state accepted")
	}
}

func TestExecExitCodeAndLogs(t *testing.T) {
	dir := t.TempDir()
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir})
	spec := core.ChildSpec{ID: "job/1", Kind: kinds.ExecKind, Params: map[string]string{
		"command": "sh",
		"args":    `["-c", "echo id=$PHUB_CHILD_ID epoch=$PHUB_EPOCH inst=$PHUB_INSTANCE foo=$FOO; pwd; echo oops >&2; exit 3"]`,
		"env.FOO": "bar",
		"dir":     dir,
	}}
	child, err := factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	err = child.Run(context.Background(), newEnv(spec, 9, nil))
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Run: %v, want exit status 3", err)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "job_1.stdout.log"))
	if want := "id=job/1 epoch=9 inst=7 foo=bar\n" + dir + "\n"; string(out) != want {
		t.Fatalf("stdout log %q, want %q", out, want)
	}
	errOut, _ := os.ReadFile(filepath.Join(dir, "job_1.stderr.log"))
	if string(errOut) != "oops\n" {
		t.Fatalf("stderr log %q", errOut)
	}
	// A second run appends.
	_ = child.Run(context.Background(), newEnv(spec, 10, nil))
	out, _ = os.ReadFile(filepath.Join(dir, "job_1.stdout.log"))
	if strings.Count(string(out), "id=job/1") != 2 {
		t.Fatalf("log not appended: %q", out)
	}
	// Exit 0 is a normal exit.
	ok, _ := factory(core.ChildSpec{ID: "ok", Params: map[string]string{"command": "true"}})
	if err := ok.Run(context.Background(), newEnv(core.ChildSpec{ID: "ok"}, 1, nil)); err != nil {
		t.Fatalf("true: %v", err)
	}
	// Factory errors.
	if _, err := factory(core.ChildSpec{ID: "x"}); err == nil {
		t.Fatal("missing command accepted")
	}
	if _, err := factory(core.ChildSpec{ID: "x", Params: map[string]string{"command": "no-such-program-phub"}}); err == nil {
		t.Fatal("unknown program accepted")
	}
}

func TestExecStopGraceful(t *testing.T) {
	dir := t.TempDir()
	// A grace far beyond any scheduling delay: the stop must return
	// because the child handled SIGTERM and exited, not because the grace
	// ran out and SIGKILL followed (a 3 s bound against a 5 s grace was a
	// timing assertion a loaded machine could fail).
	const grace = 2 * time.Minute
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir, Grace: grace})
	spec := core.ChildSpec{ID: "term", Params: map[string]string{
		"command": "sh",
		"args":    `["-c", "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.01; done"]`,
	}}
	child, err := factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := run(ctx, child, newEnv(spec, 1, nil))
	log := filepath.Join(dir, "term.stdout.log")
	waitFor(t, "ready", func() bool { b, _ := os.ReadFile(log); return strings.Contains(string(b), "ready") })
	start := time.Now()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stopped child: %v, want nil", err)
	}
	if d := time.Since(start); d >= grace {
		t.Fatalf("stop took %s: it waited out the grace instead of the child's exit on SIGTERM", d)
	}
	waitFor(t, "got-term", func() bool { b, _ := os.ReadFile(log); return strings.Contains(string(b), "got-term") })
}

func TestExecStopKillAfterGrace(t *testing.T) {
	dir := t.TempDir()
	factory := kinds.NewExec(kinds.ExecConfig{LogDir: dir, Grace: 100 * time.Millisecond})
	spec := core.ChildSpec{ID: "stubborn", Params: map[string]string{
		"command": "sh",
		"args":    `["-c", "trap '' TERM; echo ready; while :; do sleep 0.01; done"]`,
	}}
	child, err := factory(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := run(ctx, child, newEnv(spec, 1, nil))
	log := filepath.Join(dir, "stubborn.stdout.log")
	waitFor(t, "ready", func() bool { b, _ := os.ReadFile(log); return strings.Contains(string(b), "ready") })
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("killed child: %v, want nil (stopped by the hub)", err)
		}
	case <-time.After(60 * time.Second): // generous: only a missing kill takes this long
		t.Fatal("child ignoring SIGTERM was not killed")
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("killed after %s, before the grace period", d)
	}
}
