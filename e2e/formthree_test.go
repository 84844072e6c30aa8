package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// formThree starts three phubd processes of bin named prefix-1 … prefix-3,
// each with the flags extra and the environment env, in a fresh cluster
// whose admin client waits await plus 10 s, and returns it once every
// process sees the others alive and serves.
func formThree(t *testing.T, bin, prefix string, await time.Duration, extra []string, env ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: bin, dir: t.TempDir(), http: &http.Client{Timeout: await + 10*time.Second}}
	for i := 0; i < 3; i++ {
		c.procs = append(c.procs, &proc{name: fmt.Sprintf("%s-%d", prefix, i+1), extra: slices.Clone(extra), env: slices.Clone(env)})
	}
	for _, p := range c.procs {
		c.start(p)
	}
	c.waitFormed(15 * time.Second)
	c.awaitServing(15 * time.Second)
	return c
}

// knobEnv is the environment that turns on phubd's test knobs (a
// comma-separated list, cmd/phubd/testknob.go) when broken, else none.
func knobEnv(broken bool, knobs string) []string {
	if !broken {
		return nil
	}
	return []string{testBrokenEnvName + "=" + knobs}
}
