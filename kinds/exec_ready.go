package kinds

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// DefaultReadyTimeout bounds an exec child's readiness probe when the
// spec sets none.
const DefaultReadyTimeout = 30 * time.Second

// readyPollInterval is how often the file probe looks for its file.
const readyPollInterval = 50 * time.Millisecond

// maxReadyLineBytes bounds the stdout line the line probe keeps: longer
// lines are matched on their first maxReadyLineBytes bytes.
const maxReadyLineBytes = 64 << 10

// readyProbe is an exec child's readiness probe, from its spec:
//
//   - "ready.line": the process is ready once it prints a line to stdout
//     that contains this text;
//   - "ready.file": the process is ready once this path exists;
//   - "ready.timeout": how long the probe may take (Go duration, default
//     DefaultReadyTimeout); then the process is killed and the start fails.
//
// Without a probe the process is ready as soon as it has started. An
// awaited start is answered when the process is ready; a process that
// exits first, fails to start or misses the timeout fails the start
// (ErrStartFailed) with the reason.
type readyProbe struct {
	line    string
	file    string
	timeout time.Duration
	seen    *lineWatch
}

func parseReadyProbe(spec core.ChildSpec) (readyProbe, error) {
	p := readyProbe{line: spec.Params["ready.line"], file: spec.Params["ready.file"], timeout: DefaultReadyTimeout}
	if s := spec.Params["ready.timeout"]; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return p, fmt.Errorf("%w: exec %q: ready.timeout %q: want a positive duration such as 10s", phub.ErrInvalidSpec, spec.ID, s)
		}
		p.timeout = d
	}
	if _, ok := spec.Params["ready.line"]; ok && p.line == "" {
		return p, fmt.Errorf("%w: exec %q: ready.line is empty", phub.ErrInvalidSpec, spec.ID)
	}
	if _, ok := spec.Params["ready.file"]; ok && p.file == "" {
		return p, fmt.Errorf("%w: exec %q: ready.file is empty", phub.ErrInvalidSpec, spec.ID)
	}
	return p, nil
}

// SignalsReady makes the hub wait for the process to be ready (phub.Ready)
// before it answers an awaited start.
func (c *execChild) SignalsReady() bool { return true }

// stdout returns the writer for the process's stdout: w, plus the line
// probe's watcher if there is one. It must be called once per instance,
// before the process starts.
func (p *readyProbe) stdout(w io.Writer) io.Writer {
	if p.line == "" {
		return w
	}
	p.seen = &lineWatch{want: []byte(p.line), found: make(chan struct{})}
	if w == nil {
		return p.seen
	}
	return io.MultiWriter(w, p.seen)
}

// waitReadyThenExit waits until the started process is ready, signals it
// with phub.Ready, and then waits for the process to exit (killing what
// it left in its group), returning cmd.Wait's error. If the process exits first, or the probe times out
// (the process is then killed), it returns an error saying so.
func (p *readyProbe) waitReadyThenExit(ctx context.Context, env phub.ChildEnv, cmd *exec.Cmd) error {
	exited := make(chan error, 1)
	go func() { exited <- waitAndKillGroup(cmd) }()
	deadline := time.NewTimer(p.timeout)
	defer deadline.Stop()
	poll := time.NewTicker(readyPollInterval)
	defer poll.Stop()
	var lineFound <-chan struct{}
	if p.seen != nil {
		lineFound = p.seen.found
	}
	lineOK, fileOK := p.line == "", p.file == ""
	for !lineOK || !fileOK {
		if !fileOK {
			if _, err := os.Stat(p.file); err == nil {
				fileOK = true
				continue
			}
		}
		select {
		case err := <-exited:
			if ctx.Err() != nil {
				return err // stopped by the hub while starting
			}
			return fmt.Errorf("exited before it was ready (%s): %v", p.describe(), exitText(err))
		case <-ctx.Done():
			return <-exited // exec.CommandContext terminates the process
		case <-lineFound:
			lineOK, lineFound = true, nil
		case <-poll.C:
		case <-deadline.C:
			_ = terminate(cmd)
			killGroup(cmd)
			<-exited
			return fmt.Errorf("not ready within ready.timeout %s (%s); killed", p.timeout, p.describe())
		}
	}
	phub.Ready(env)
	return <-exited
}

func (p *readyProbe) describe() string {
	switch {
	case p.line != "" && p.file != "":
		return fmt.Sprintf("waiting for a stdout line containing %q and file %s", p.line, p.file)
	case p.line != "":
		return fmt.Sprintf("waiting for a stdout line containing %q", p.line)
	}
	return "waiting for file " + p.file
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// lineWatch scans written bytes line by line and closes found once a line
// contains want.
type lineWatch struct {
	want  []byte
	found chan struct{}
	mu    sync.Mutex
	line  []byte
	done  bool
}

func (l *lineWatch) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return len(b), nil
	}
	for _, c := range b {
		if c == '\n' {
			if bytes.Contains(l.line, l.want) {
				l.done = true
				close(l.found)
				return len(b), nil
			}
			l.line = l.line[:0]
			continue
		}
		if len(l.line) < maxReadyLineBytes {
			l.line = append(l.line, c)
		}
	}
	return len(b), nil
}
