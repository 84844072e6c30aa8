package kinds_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
)

func leaseState(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The lease file says none, then held with the deadline, then lost once the
// deadline passes unrenewed (from the writer's own timer), and none again
// when no child needs a lease or the node stops.
func TestLeaseFileStates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lease")
	f, err := kinds.NewLeaseFile(path, phub.MonoNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := leaseState(t, path); got != "state=none\n" {
		t.Fatalf("fresh file: %q", got)
	}
	until := phub.MonoNow().Add(300 * time.Millisecond)
	f.LeaseUntil(until)
	waitFile := func(prefix string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := leaseState(t, path)
			if strings.HasPrefix(got, prefix) {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("lease file never began with %q: %q", prefix, got)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	held := waitFile("state=held\n")
	if !strings.Contains(held, "deadline_mono="+strconv.FormatInt(int64(until), 10)+"\n") || !strings.Contains(held, "deadline=") {
		t.Fatalf("held file without its deadline: %q", held)
	}
	waitFile("state=lost\n")
	if now := phub.MonoNow(); now < until {
		t.Fatalf("lost written %v before the deadline", time.Duration(until-now))
	}
	f.LeaseUntil(core.NoLease)
	waitFile("state=none\n")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := leaseState(t, path); got != "state=none\n" {
		t.Fatalf("closed: %q", got)
	}
}
