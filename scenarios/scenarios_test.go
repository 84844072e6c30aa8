package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScenarios runs every *.txt under scenarios/ and scenarios/regressions/
// as a subtest named after the file (regressions as "regressions/NAME").
func TestScenarios(t *testing.T) {
	var files []string
	for _, dir := range []string{".", "regressions"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.txt"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files found")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		if filepath.Dir(path) == "regressions" {
			name = "regressions/" + name
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc, err := ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if sc.KnownFailure != "" {
				t.Skipf("known failure: %s", sc.KnownFailure)
			}
			if out := os.Getenv("PHUB_SCENARIO_TRACE"); out != "" {
				f, err := os.Create(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				sc.TraceTo = f
			}
			start := time.Now()
			tail, err := sc.RunTrace()
			if err != nil {
				t.Fatalf("%v\nseed: %d\nreplay: go test ./scenarios -run 'TestScenarios/%s$'\nlast trace lines:\n%s", err, sc.Seed, name, tail)
			}
			t.Logf("%s: ok in %s", path, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestParseErrors checks that bad scenario files fail with the file, the
// line and a clear reason, and never panic.
func TestParseErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"nodes 2\n\nstrat n1 c 10\n", `bad.txt:3: unknown command "strat"`},
		{"nodes two\n", `bad.txt:1: bad number "two" for nodes`},
		{"nodes 2\nrun soon\n", `bad.txt:2: bad duration "soon" for run`},
		{"nodes 2\nstart n1\n", `bad.txt:2: start: missing arguments`},
		{"nodes 2\ncrash\n", `bad.txt:2: crash: missing arguments`},
		{"nodes 2\ncrash n7\n", `bad.txt:2: unknown node "n7" (known: n1, n2)`},
		{"crash n1\n", `bad.txt:1: unknown node "n1" (no node added yet`},
		{"nodes 2\npartition n1 | n9\n", `bad.txt:2: partition: unknown node "n9"`},
		{"nodes 2\npartition n1,n2\n", `bad.txt:2: partition: want at least two groups`},
		{"nodes 2\nconfig replication_factor=2\n", `bad.txt:2: config must come before the first node`},
		{"config replication_factor=many\n", `bad.txt:1: config: replication_factor: want a positive integer or "cluster", got "many"`},
		{"config factor=2\n", `bad.txt:1: config: unknown option "factor"`},
		{"config strategy=x\n", `bad.txt:1: config: unknown option "strategy"`},
		{"config replication_mode=both\n", `bad.txt:1: config: replication_mode: want one of active_active, active_passive, got "both"`},
		{"config sync_interval=0s\n", `bad.txt:1: config: sync_interval: must be > 0, got 0s`},
		{"nodes 1\nstart n1 c 5 awiat\n", ``}, // "awiat" is an id: PREFIX COUNT needs exactly two args
		{"nodes 1\nstart n1 c 5 timeout=fast await\n", `bad.txt:2: bad duration "fast" for timeout`},
		{"nodes 1\nexpect hooks registry_insert = 3\n", `bad.txt:2: expect hooks: unknown hook "registry_insert"`},
		{"nodes 1\nexpect hooks registry_pid_insert => 3\n", `bad.txt:2: bad comparison "=>" for hooks`},
		{"nodes 1\nexpect registry n1\n", `bad.txt:2: expect registry: missing count=N`},
		{"nodes 1\nexpect registry n1 count=-1\n", `bad.txt:2: bad number "-1" for count: must be >= 0`},
		{"nodes 1\nexpect frobs\n", `bad.txt:2: expect: unknown expectation "frobs"`},
		{"nodes 1\nexpect partitioned n1 maybe\n", `bad.txt:2: bad value "maybe" for partitioned`},
		{"nodes 1\nnet loss=2\n", `bad.txt:2: bad probability "2" for loss`},
		{"nodes 1\nstop n1 c 1 await awaitable\n", `bad.txt:2: stop: await and awaitable exclude each other`},
		{"nodes 1\nrun 1s 2s\n", `bad.txt:2: run: unexpected argument "2s"`},
		{"nodes 1\nrun 1s # settle\nstart n1 c 1 restart=forever\n", `bad.txt:3: bad value "forever" for restart`},
	}
	for _, c := range cases {
		_, err := Parse("bad.txt", c.text)
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", c.text, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error, want %q", c.text, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %q\nwant prefix %q", c.text, err.Error(), c.want)
		}
	}
}

// TestRuntimeErrors checks errors found while running: they name the
// line and the command, and expectations can fail.
func TestRuntimeErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"heal\n", `bad.txt:1: heal: no node was added yet`},
		{"nodes 1\nrun 2s\nexpect reply ok\n", `bad.txt:3: expect reply ok: no request was made`},
		{"nodes 1\nrun 2s\nrestart n1\n", `bad.txt:3: restart n1: node n1 is not down`},
		{"nodes 1\nrun 2s\ncrash n1\ncrash n1\n", `bad.txt:4: crash n1: node n1 is not up`},
		{"nodes 1\nrun 2s\nstart n1 c 3 await\nexpect results ok=4\n", `bad.txt:4: expect results ok=4: want ok=4, got reply(op=start results=3 ok=3)`},
		{"nodes 1\nrun 2s\nstart n1 c 3 await\nexpect registry n1 count=2\n", `bad.txt:4: expect registry n1 count=2: n1: registry has 3 entries, want 2`},
		{"nodes 1\nrun 2s\ncrash-child n1 nope\n", `bad.txt:3: crash-child n1 nope: child nope is not running on n1`},
		{"config partition_quorum=0 partition=static_quorum\nnodes 1\n", `bad.txt:2: nodes 1: config: Partition.QuorumSize`},
	}
	for _, c := range cases {
		sc, err := Parse("bad.txt", c.text)
		if err != nil {
			t.Errorf("%q: parse error %v", c.text, err)
			continue
		}
		err = sc.Run()
		if err == nil {
			t.Errorf("%q: no error, want %q", c.text, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %q\nwant prefix %q", c.text, err.Error(), c.want)
		}
	}
}

// TestKnownFailureMarker checks that the marker is found and named.
func TestKnownFailureMarker(t *testing.T) {
	sc, err := Parse("k.txt", "# KNOWN FAILURE: core loses x on y\nnodes 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if sc.KnownFailure != "core loses x on y" {
		t.Fatalf("KnownFailure = %q", sc.KnownFailure)
	}
}
