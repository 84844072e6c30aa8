package sim

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// A failing rapid property must name the command that replays it.
// rapid's own line ("To reproduce, specify -run=NAME -rapid.seed=N")
// names neither the package nor the environment that chose the broken
// core (PHUB_RAPID_BROKEN), nor -rapid.steps, which the drawn case
// depends on; and a fail file it names is written where the test ran
// (.gitignore'd, and not written at all under RAPID_NOFAILFILE or
// -rapid.nofailfile, as in CI-like and mutation runs), so on another
// machine only the seed replays the case. rapidReplayCommand turns
// rapid's failure message into a full command.

var (
	rapidSeedRe     = regexp.MustCompile(`-rapid\.seed=(\d+)`)
	rapidFailFileRe = regexp.MustCompile(`-rapid\.failfile="([^"]+)"`)
)

// rapidReplayCommand returns the go test command that replays the
// failure rapid reported in msg for test (a top-level test of this
// package), or "" when msg names no seed or fail file. A fail file, when
// rapid wrote one, is offered beside the seed.
func rapidReplayCommand(test, msg string) string {
	seed := rapidSeedRe.FindStringSubmatch(msg)
	file := rapidFailFileRe.FindStringSubmatch(msg)
	if seed == nil && file == nil {
		return ""
	}
	env := ""
	if v := os.Getenv("PHUB_RAPID_BROKEN"); v != "" {
		env = "PHUB_RAPID_BROKEN=" + v + " "
	}
	base := fmt.Sprintf("%sgo test ./sim -run '^%s$'", env, regexp.QuoteMeta(test))
	var alts []string
	if seed != nil {
		steps := "30"
		if f := flag.Lookup("rapid.steps"); f != nil {
			steps = f.Value.String()
		}
		alts = append(alts, fmt.Sprintf("%s -rapid.seed=%s -rapid.steps=%s", base, seed[1], steps))
	}
	if file != nil {
		alts = append(alts, fmt.Sprintf("%s -rapid.failfile=%s (this machine only)", base, file[1]))
	}
	return strings.Join(alts, "\n    or: ")
}

// replayTB is the test's T for rapid.Check with one addition: when
// rapid reports a failure, the full replay command follows it.
type replayTB struct {
	*testing.T
}

// Errorf reports as T.Errorf, then adds the replay command of a rapid
// failure report.
func (r replayTB) Errorf(format string, args ...any) {
	r.T.Helper()
	msg := fmt.Sprintf(format, args...)
	r.T.Error(msg)
	if cmd := rapidReplayCommand(r.T.Name(), msg); cmd != "" {
		r.T.Errorf("replay: %s", cmd)
	}
}

// TestRapidReplayCommand: rapid's failure line becomes a command with
// the package, the anchored test name, the seed and the steps (and the
// broken core's variable when set), with the fail file as a second way.
func TestRapidReplayCommand(t *testing.T) {
	t.Setenv("PHUB_RAPID_BROKEN", "ignore-epochs")
	msg := "[rapid] failed after 3 tests: boom\nTo reproduce, specify -run=\"TestRapidCluster\" -rapid.failfile=\"testdata/rapid/TestRapidCluster/TestRapidCluster-1-2.fail\" (or -rapid.seed=1234)\nFailed test output:"
	got := rapidReplayCommand("TestRapidCluster", msg)
	want := "PHUB_RAPID_BROKEN=ignore-epochs go test ./sim -run '^TestRapidCluster$' -rapid.seed=1234 -rapid.steps=" + flag.Lookup("rapid.steps").Value.String() +
		"\n    or: PHUB_RAPID_BROKEN=ignore-epochs go test ./sim -run '^TestRapidCluster$' -rapid.failfile=testdata/rapid/TestRapidCluster/TestRapidCluster-1-2.fail (this machine only)"
	if got != want {
		t.Fatalf("replay command:\n%s\nwant:\n%s", got, want)
	}
	if got := rapidReplayCommand("TestRapidCluster", "[rapid] OK, passed 100 tests"); got != "" {
		t.Fatalf("a message without seed or fail file got a command: %q", got)
	}
}
