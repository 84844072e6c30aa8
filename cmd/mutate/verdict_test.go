package main

import (
	"errors"
	"testing"
)

// TestVerdictKeepsAFailureBeforeAHang: a stage whose tests failed and
// then hung past the bound killed the mutant (the failure is a verdict);
// a hang with no failure before it leaves the mutant undecided; a clean
// finish survives; a failed build is uncompilable.
func TestVerdictKeepsAFailureBeforeAHang(t *testing.T) {
	fail := errors.New("exit status 1")
	failed := []byte("--- FAIL: TestReadyEmpty (0.00s)\n    x_test.go:9: not empty\n")
	for _, c := range []struct {
		name  string
		out   []byte
		end   ended
		build bool
		err   error
		want  Status
	}{
		{"fail then hang past the CPU bound", failed, overCPU, false, fail, Killed},
		{"fail then hang past the wall bound", failed, overWall, false, fail, Killed},
		{"hang alone", []byte("=== RUN TestX\n"), overCPU, false, fail, TimedOut},
		{"pass", []byte("PASS\n"), finished, false, nil, Survived},
		{"fail", failed, finished, false, fail, Killed},
		{"build", []byte("x.go:1: syntax error"), finished, true, fail, Uncompilable},
	} {
		st, detail := verdict(c.out, c.end, c.build, c.err)
		if st != c.want {
			t.Errorf("%s: %s (%q), want %s", c.name, st, detail, c.want)
		}
		if st == Killed && detail != "--- FAIL: TestReadyEmpty (0.00s)" {
			t.Errorf("%s: detail %q, want the failing test", c.name, detail)
		}
	}
}
