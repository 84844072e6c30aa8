package kinds_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

func execHub(t *testing.T) *phub.Hub {
	t.Helper()
	cfg := core.DefaultConfig("solo")
	cfg.Incarnation = 0
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("solo"),
		Kinds: phub.Registry{kinds.ExecKind: kinds.NewExec(kinds.ExecConfig{Grace: time.Second})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func shSpec(id, script string, params ...string) core.ChildSpec {
	p := map[string]string{"command": "sh", "args": `["-c", ` + quoteJSON(script) + `]`}
	for i := 0; i+1 < len(params); i += 2 {
		p[params[i]] = params[i+1]
	}
	return core.ChildSpec{ID: core.ChildID(id), Kind: kinds.ExecKind, Params: p}
}

func quoteJSON(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// An awaited start of an exec child with a readiness probe is answered
// only once the probe passed: the process did its setup first.
func TestExecReadyProbeGatesAwaitedStart(t *testing.T) {
	h := execHub(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	setup := filepath.Join(dir, "setup-done")
	line := shSpec("line", "sleep 0.3; touch "+setup+"; echo listening on 8080; exec sleep 100", "ready.line", "listening on")
	if _, err := h.StartChild(ctx, line); err != nil {
		t.Fatalf("start with a line probe: %v", err)
	}
	if _, err := os.Stat(setup); err != nil {
		t.Fatalf("start answered before the process printed its ready line: %v", err)
	}

	flag := filepath.Join(dir, "ready-file")
	file := shSpec("file", "sleep 0.3; touch "+flag+"; exec sleep 100", "ready.file", flag)
	if _, err := h.StartChild(ctx, file); err != nil {
		t.Fatalf("start with a file probe: %v", err)
	}
	if _, err := os.Stat(flag); err != nil {
		t.Fatalf("start answered before the ready file existed: %v", err)
	}
}

// A process that exits before it is ready, or misses its probe's
// timeout, fails the awaited start with the reason and is not registered.
func TestExecNotReadyFailsStart(t *testing.T) {
	h := execHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cases := []struct {
		spec core.ChildSpec
		want string
	}{
		{shSpec("exits", "echo starting; exit 3", "ready.line", "listening"), "exited before it was ready"},
		{shSpec("slow", "exec sleep 100", "ready.file", "/nonexistent/phub-ready", "ready.timeout", "200ms"), "not ready within ready.timeout 200ms"},
	}
	bad := shSpec("bad", "true", "ready.timeout", "soon")
	if _, err := h.StartChild(ctx, bad); !errors.Is(err, phub.ErrInvalidSpec) || !strings.Contains(err.Error(), "ready.timeout") {
		t.Errorf("bad ready.timeout: %v, want ErrInvalidSpec naming ready.timeout", err)
	}
	for _, c := range cases {
		_, err := h.StartChild(ctx, c.spec)
		if !errors.Is(err, phub.ErrStartFailed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrStartFailed mentioning %q", c.spec.ID, err, c.want)
		}
		if _, err := h.Lookup(ctx, c.spec.ID, core.Owner); !errors.Is(err, phub.ErrNotFound) {
			t.Errorf("%s: owner lookup after the failed start: %v, want ErrNotFound", c.spec.ID, err)
		}
	}
	if lc := h.WhichChildrenLocal().Children; len(lc) != 0 {
		t.Errorf("children left running: %+v", lc)
	}
}
