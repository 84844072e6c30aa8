package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/phub/phub/kinds"
)

func TestDefault(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/state")
	if d, err := Default("n1"); err != nil || d != "/var/state/phubd/n1" {
		t.Fatalf("Default with XDG_STATE_HOME: %q %v", d, err)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, err := Default("n1"); err != nil || d != "/home/u/.local/state/phubd/n1" {
		t.Fatalf("Default with HOME: %q %v", d, err)
	}
	for _, bad := range []string{"", "..", "a/b"} {
		if _, err := Default(bad); err == nil || !strings.Contains(err.Error(), "data_dir") {
			t.Errorf("Default(%q): %v, want an error naming data_dir", bad, err)
		}
	}
}

// Two nodes on one data dir: the second is refused, naming the holder;
// once the first closes, the directory can be opened again.
func TestOpenIsExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "n1")
	d, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(p)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second Open: %v, want ErrInUse naming pid %d", err, os.Getpid())
	}
	d.Close()
	d2, err := Open(p)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	d2.Close()
	if b, _ := os.ReadFile(filepath.Join(p, "VERSION")); string(b) != "2\n" {
		t.Fatalf("VERSION %q", b)
	}
}

func TestOpenRefusesUnknownLayout(t *testing.T) {
	p := t.TempDir()
	if err := os.WriteFile(filepath.Join(p, "VERSION"), []byte("3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), `layout version "3"`) {
		t.Fatalf("Open of a version-3 dir: %v", err)
	}
}

// TestOpenRefusesOldLayout: a version-1 directory (before the durable
// registry) is refused with ErrOldLayout and an error that says what to do.
func TestOpenRefusesOldLayout(t *testing.T) {
	p := t.TempDir()
	if err := os.WriteFile(filepath.Join(p, "VERSION"), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(p)
	if !errors.Is(err, ErrOldLayout) || !strings.Contains(err.Error(), "move the directory away") {
		t.Fatalf("Open of a version-1 dir: %v, want ErrOldLayout saying what to do", err)
	}
}

func TestRecordsSurviveUntilForgotten(t *testing.T) {
	p := t.TempDir()
	d, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	recs := []kinds.ProcessRecord{
		{Child: "a", Fence: "f", Epoch: 2, Instance: 3, Pid: 4242, StartTicks: 99, BootID: "b", Command: "sleep"},
		{Child: "b/c", Pid: 17, StartTicks: 5, BootID: "b"},
	}
	for _, r := range recs {
		if err := d.Record(r); err != nil {
			t.Fatal(err)
		}
	}
	// An interrupted write leaves a temporary file: ignored and removed.
	tmp := filepath.Join(p, "children", "99.json.tmp")
	_ = os.WriteFile(tmp, []byte("{"), 0o600)
	d.Close() // a crash keeps the records

	d, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.Leftovers()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]kinds.ProcessRecord{recs[1], recs[0]}, got); diff != "" {
		t.Fatalf("leftovers (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("temporary file not removed")
	}
	if err := d.Forget(4242); err != nil {
		t.Fatal(err)
	}
	if err := d.Forget(4242); err != nil {
		t.Fatalf("second Forget: %v", err)
	}
	if got, _ := d.Leftovers(); len(got) != 1 || got[0].Pid != 17 {
		t.Fatalf("after Forget: %+v", got)
	}
	// A damaged record is a named error.
	bad := filepath.Join(p, "children", "5.json")
	_ = os.WriteFile(bad, []byte(`{"pid": 6}`), 0o600)
	if _, err := d.Leftovers(); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("mismatched record: %v", err)
	}
	_ = os.WriteFile(bad, []byte(`garbage`), 0o600)
	if _, err := d.Leftovers(); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("garbage record: %v", err)
	}
}
