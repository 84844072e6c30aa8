package scenarios

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/phub/phub/core"
)

// hooksAssertedElsewhere names the hook kinds no scenario can provoke on
// purpose, with the test that asserts they fire.
var hooksAssertedElsewhere = map[core.HookKind]string{
	// A forward needs two nodes whose views disagree about an owner at
	// the instant a request arrives; core's lockstep test builds it.
	core.HookForwardedMigration: "core.TestRequestForNotOwnedChildIsForwarded",
}

// The README says phub emits every ProcessHub hook key (core.AllHooks).
// pre_children_redistribution once had no call site at all and nothing
// noticed. Every kind must be expected to fire (a positive count) by some
// scenario, or name the test that asserts it.
func TestEveryHookKindIsAsserted(t *testing.T) {
	files, _ := filepath.Glob("*.txt")
	reg, _ := filepath.Glob(filepath.Join("regressions", "*.txt"))
	line := regexp.MustCompile(`(?m)^expect hooks (\S+) (=|>=|>) (\d+)\s*$`)
	asserted := map[core.HookKind]string{}
	for _, f := range append(files, reg...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range line.FindAllStringSubmatch(string(src), -1) {
			n, _ := strconv.Atoi(m[3])
			if n > 0 || m[2] == ">" {
				asserted[core.HookKind(m[1])] = f
			}
		}
	}
	for _, k := range core.AllHooks {
		if asserted[k] == "" && hooksAssertedElsewhere[k] == "" {
			t.Errorf("no scenario expects hook %s to fire (expect hooks %s >= 1)", k, k)
		}
	}
}
