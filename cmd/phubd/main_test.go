package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// The README's main-job command works and stays fast.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("demo starts three nodes")
	}
	var out, errb bytes.Buffer
	if code := realMain([]string{"demo"}, &out, &errb); code != 0 {
		t.Fatalf("demo exit %d: %s\n%s", code, errb.String(), out.String())
	}
	s := out.String()
	for _, want := range []string{"cluster formed: 3 nodes", "started 12 counter children", "its children now run here", "demo finished"} {
		if !strings.Contains(s, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, s)
		}
	}
	// Every moved child resumed from its handed-over count:
	// CHILD FROM TO E1 -> E2 COUNT RESUMED HANDOVER.
	lines := strings.Split(s[strings.Index(s, "RESUMED FROM"):], "\n")
	moved := 0
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 9 {
			break
		}
		moved++
		count, _ := strconv.Atoi(f[6])
		resumed, _ := strconv.Atoi(f[7])
		if f[8] != "true" || resumed < count || f[3] >= f[5] {
			t.Errorf("child not handed over with a higher epoch: %s", l)
		}
	}
	if moved == 0 {
		t.Fatalf("no moved children in:\n%s", s)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain(nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: phubd") {
		t.Fatalf("no args: %d %s", code, errb.String())
	}
	if code := realMain([]string{"nope"}, &out, &errb); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	errb.Reset()
	if code := realMain([]string{"run", "--bogus"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "bogus") {
		t.Fatalf("run --bogus: %d %s", code, errb.String())
	}
}
