package kinds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// ExecKind is the kind name of the OS-process child.
const ExecKind = "exec"

// DefaultExecGrace is how long a stopped process has between SIGTERM and
// SIGKILL when ExecConfig.Grace is zero.
const DefaultExecGrace = 5 * time.Second

// ExecConfig configures the exec kind.
type ExecConfig struct {
	// LogDir receives <id>.stdout.log and <id>.stderr.log per child,
	// appended across restarts. Empty discards the output.
	LogDir string
	// Grace is the time between SIGTERM and SIGKILL when a child is
	// stopped (default DefaultExecGrace).
	Grace time.Duration
	// PassEnv names PHUB_* variables of the node's environment that
	// children inherit anyway; every other PHUB_* variable (the cluster
	// secret, the admin token, all phubd settings) is removed from a
	// child's environment.
	PassEnv []string
	// Journal, if set, records every running process so that a later
	// incarnation of the node can reap what a crash left behind. A start
	// whose record cannot be written fails (the process is killed).
	Journal ProcessJournal
	// Guard, if set, is told of every process (strict partition mode):
	// it kills the process group when the instance's lease deadline
	// passes even while the node is stopped (see FenceGuard). A start
	// fails if the guard is gone.
	Guard *FenceGuard
	// LeaseFile, if set, is passed to every child as PHUB_LEASE_FILE: the
	// node's lease file (strict partition mode; see WriteLeaseFile).
	LeaseFile string
}

// NewExec returns the factory of the exec kind. A spec's parameters:
//
//   - "command" (required): the program, looked up in PATH;
//   - "args": a JSON array of strings, or else whitespace-separated words;
//   - "dir": the working directory;
//   - "env.NAME": sets environment variable NAME (on top of the node's
//     environment; NAME must not be one of ChildEnvVars);
//   - "ready.line", "ready.file", "ready.timeout": a readiness probe
//     (exec_ready.go). An awaited start is answered once the process is
//     ready: started, and past its probe if it has one.
//
// The factory's errors (missing command, command not found in PATH or not
// executable, bad args or env) wrap phub.ErrInvalidSpec, so StartChildren
// refuses such a spec at once. The process gets the node's environment without its
// PHUB_* variables (except ExecConfig.PassEnv), the spec's variables, and
// PHUB_CHILD_ID, PHUB_EPOCH, PHUB_FENCE (the instance's fencing token,
// core.Fence.String), PHUB_INSTANCE and PHUB_NODE. It runs in its own
// process group; on Linux it is started with a parent-death signal
// (SIGKILL) from a thread that never exits, so it dies with the node even
// on kill -9. When the instance is stopped the group receives SIGTERM,
// and SIGKILL after the grace period; when the process exits, whatever is
// left in its group is killed. An exit status other than 0 (when not
// stopped) is an abnormal exit.
func NewExec(cfg ExecConfig) phub.ChildFactory {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultExecGrace
	}
	pass := map[string]bool{}
	for _, name := range cfg.PassEnv {
		pass[name] = true
	}
	return func(spec core.ChildSpec) (phub.Child, error) {
		c := &execChild{cfg: cfg, pass: pass, command: spec.Params["command"], dir: spec.Params["dir"]}
		if c.command == "" {
			return nil, fmt.Errorf("%w: exec %q: missing parameter \"command\"", phub.ErrInvalidSpec, spec.ID)
		}
		path, err := exec.LookPath(c.command)
		if err != nil {
			return nil, fmt.Errorf("%w: exec %q: %w", phub.ErrInvalidSpec, spec.ID, err)
		}
		c.path = path
		if c.ready, err = parseReadyProbe(spec); err != nil {
			return nil, err
		}
		if a := strings.TrimSpace(spec.Params["args"]); a != "" {
			if strings.HasPrefix(a, "[") {
				if err := json.Unmarshal([]byte(a), &c.args); err != nil {
					return nil, fmt.Errorf("%w: exec %q: args: %w", phub.ErrInvalidSpec, spec.ID, err)
				}
			} else {
				c.args = strings.Fields(a)
			}
		}
		keys := make([]string, 0, len(spec.Params))
		for k := range spec.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if name, ok := strings.CutPrefix(k, "env."); ok {
				if err := CheckEnvName(name); err != nil {
					return nil, fmt.Errorf("%w: exec %q: param %q: %w", phub.ErrInvalidSpec, spec.ID, k, err)
				}
				c.env = append(c.env, name+"="+spec.Params[k])
			}
		}
		return c, nil
	}
}

type execChild struct {
	cfg     ExecConfig
	pass    map[string]bool
	command string
	path    string
	args    []string
	dir     string
	env     []string
	ready   readyProbe
}

// logName turns a child id into a safe file name.
func logName(id core.ChildID) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, string(id))
}

func (c *execChild) openLog(id core.ChildID, stream string) (*os.File, error) {
	if c.cfg.LogDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(c.cfg.LogDir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(c.cfg.LogDir, logName(id)+"."+stream+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// Run starts the process and waits for it.
func (c *execChild) Run(ctx context.Context, env phub.ChildEnv) error {
	stdout, err := c.openLog(env.ID(), "stdout")
	if err != nil {
		return fmt.Errorf("exec: log: %w", err)
	}
	if stdout != nil {
		defer stdout.Close()
	}
	stderr, err := c.openLog(env.ID(), "stderr")
	if err != nil {
		return fmt.Errorf("exec: log: %w", err)
	}
	if stderr != nil {
		defer stderr.Close()
	}
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Dir = c.dir
	cmd.Env = childEnviron(os.Environ(), c.pass, c.env, env)
	if c.cfg.LeaseFile != "" {
		cmd.Env = append(cmd.Env, "PHUB_LEASE_FILE="+c.cfg.LeaseFile)
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if w := c.ready.stdout(cmd.Stdout); w != nil {
		cmd.Stdout = w
	}
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return terminate(cmd) }
	cmd.WaitDelay = c.cfg.Grace
	if err := startProcess(cmd); err != nil {
		return fmt.Errorf("exec %s: %w", c.command, err)
	}
	if g := c.cfg.Guard; g != nil {
		pid := cmd.Process.Pid
		if err := g.started(pid, env.ID(), env.Instance()); err != nil {
			killGroup(cmd)
			_ = waitAndKillGroup(cmd)
			return fmt.Errorf("exec %s: %w", c.command, err)
		}
		defer g.exited(pid)
	}
	// A fenced instance (its lease deadline passed) dies at once, without
	// the grace period of a stop.
	exited := make(chan struct{})
	defer close(exited)
	go func() {
		select {
		case <-env.Fenced():
			killGroup(cmd)
		case <-exited:
		}
	}()
	if j := c.cfg.Journal; j != nil {
		pid := cmd.Process.Pid
		if err := c.record(env, pid); err != nil {
			killGroup(cmd)
			_ = waitAndKillGroup(cmd)
			return fmt.Errorf("exec %s: journal: %w", c.command, err)
		}
		defer func() {
			if err := j.Forget(pid); err != nil {
				env.Logger().Warn("exec: journal: forget", "pid", pid, "err", err)
			}
		}()
	}
	// Wait for readiness (exec_ready.go), then for the exit; whatever the
	// process left in its group goes with it.
	err = c.ready.waitReadyThenExit(ctx, env, cmd)
	if ctx.Err() != nil {
		// Stopped by the hub: whatever the exit status, not a crash.
		return nil
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("exec %s: %s", c.command, ee.ProcessState.String())
		}
		return fmt.Errorf("exec %s: %w", c.command, err)
	}
	return nil
}

// record writes the journal entry of a started process.
func (c *execChild) record(env phub.ChildEnv, pid int) error {
	id, err := identify(pid)
	if err != nil {
		return err
	}
	return c.cfg.Journal.Record(ProcessRecord{
		Child: string(env.ID()), Fence: env.Fence().String(), Epoch: env.Epoch(), Instance: env.Instance(),
		Pid: pid, StartTicks: id.startTicks, BootID: id.bootID, Command: c.command,
	})
}
