package sim

import (
	"os"
	"strconv"
	"testing"
)

// TestReplaySeed replays one seed with its trace: PHUB_CLASS=crash PHUB_SEED=4.
func TestReplaySeed(t *testing.T) {
	cls, seedS := os.Getenv("PHUB_CLASS"), os.Getenv("PHUB_SEED")
	if cls == "" || seedS == "" {
		t.Skip("set PHUB_CLASS and PHUB_SEED")
	}
	class, err := ParseClass(cls)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.ParseUint(seedS, 10, 64)
	f, _ := os.Create("/tmp/phub-trace.txt")
	defer f.Close()
	res := RunSeed(class, seed, Options{Trace: f})
	child := res.Lin.Child
	if c := os.Getenv("PHUB_CHILD"); c != "" {
		child = c
	}
	t.Logf("%s", res.Summary())
	t.Logf("history of %s:\n%s", child, res.History.ForChild(child).String())
}
