package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clearPHUBEnv removes PHUB_* variables (a sweep's PHUB_SEEDS would be
// read as the seeds key) for the duration of the test.
func clearPHUBEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PHUB_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

// One convention for every command: 0 ok, 1 runtime failure, 2 bad usage
// or configuration. A bad flag prints the error and a one-line hint, not
// the flag list; a short secret is a configuration error like any other.
func TestExitCodes(t *testing.T) {
	clearPHUBEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	shortFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(shortFile, []byte("short\n"), 0o600)
	badRef := filepath.Join(t.TempDir(), "processhub.tsv")
	os.WriteFile(badRef, []byte("start\t1000\tfast\tms\tx\n"), 0o600)
	node := []string{"run", "--name", "n1", "--listen", "127.0.0.1:0", "--admin-addr", ""}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains []string // in stderr
		maxLines int      // of stderr; 0: no limit
	}{
		{"unknown command", []string{"nope"}, 2, []string{`unknown command "nope"`, "phubd -h"}, 2},
		{"run: unknown flag", []string{"run", "--bogus"}, 2, []string{"bogus", "'phubd run -h'"}, 2},
		{"run: bad flag value", []string{"run", "--heartbeat-interval", "soon"}, 2, []string{"soon", "'phubd run -h'"}, 2},
		{"run: short secret", append(node, "--secret", "short"), 2, []string{"secret", "shorter than 16 bytes"}, 2},
		{"run: short secret file", append(node, "--secret-file", shortFile), 2, []string{"secret_file", "shorter"}, 2},
		{"run: missing secret file", append(node, "--secret-file", shortFile+".missing"), 2, []string{"secret_file"}, 2},
		{"run: port in use", []string{"run", "--name", "n1", "--listen", busy.Addr().String(), "--admin-addr", "", "--insecure-no-auth", "--data-dir", t.TempDir()}, 1, nil, 0}, // logged to os.Stderr
		{"sim: unknown flag", []string{"sim", "--bogus"}, 2, []string{"bogus", "'phubd sim -h'"}, 2},
		{"replay: unknown flag", []string{"replay", "--bogus"}, 2, []string{"bogus", "'phubd replay -h'"}, 2},
		{"replay: no seed", []string{"replay"}, 2, []string{"--seed", "'phubd replay -h'"}, 2},
		{"bench: unknown flag", []string{"bench", "--bogus"}, 2, []string{"bogus", "'phubd bench -h'"}, 2},
		{"bench: bad ProcessHub results", []string{"bench", "--processhub", badRef, "--plot", "x.svg"}, 2, []string{"bad reference results file: line 1", "fast"}, 1},
		{"bench: missing ProcessHub results", []string{"bench", "--processhub", badRef + ".missing", "--plot", "x.svg"}, 2, []string{"--processhub", "no such file"}, 1},
		{"demo: unknown flag", []string{"demo", "--bogus"}, 2, []string{"bogus", "'phubd demo -h'"}, 2},
		{"ctl: unknown flag", []string{"ctl", "--bogus", "members"}, 2, []string{"bogus", "'phubd ctl -h'"}, 2},
		{"ctl: unknown command flag", []string{"ctl", "stop", "--bogus", "x"}, 2, []string{"bogus", "'phubd ctl stop -h'"}, 2},
		{"ctl: unknown command", []string{"ctl", "frob"}, 2, []string{`unknown command "frob"`}, 2},
		{"ctl: unreachable API", []string{"ctl", "--addr", busy.Addr().String() + "0", "members"}, 1, []string{"phubd ctl members"}, 0},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := realMain(c.args, &out, &errb)
		lines := strings.Count(strings.TrimRight(errb.String(), "\n"), "\n") + 1
		ok := code == c.code && (c.maxLines == 0 || lines <= c.maxLines)
		for _, s := range c.contains {
			ok = ok && strings.Contains(errb.String(), s)
		}
		if !ok {
			t.Errorf("%s: %v: exit %d (want %d), %d stderr lines (max %d), want %q in:\n%s",
				c.name, c.args, code, c.code, lines, c.maxLines, c.contains, errb.String())
		}
	}
}

// -h still prints the whole flag list, and exits 0.
func TestHelpExitsZero(t *testing.T) {
	clearPHUBEnv(t)
	for _, cmd := range [][]string{{"run", "-h"}, {"sim", "-h"}, {"replay", "-h"}, {"bench", "-h"}, {"demo", "-h"}, {"ctl", "-h"}, {"ctl", "stop", "-h"}} {
		var out, errb bytes.Buffer
		if code := realMain(cmd, &out, &errb); code != 0 || strings.Count(out.String()+errb.String(), "\n") < 3 {
			t.Errorf("%v: exit %d, output:\n%s%s", cmd, code, out.String(), errb.String())
		}
	}
}
