package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/phub/phub/core"
)

func entry(id string, epoch uint64, stopped bool) core.Entry {
	return core.Entry{Spec: core.ChildSpec{ID: core.ChildID(id), Kind: "exec", Params: map[string]string{"cmd": "sleep"}}, Epoch: epoch, Stopped: stopped, Holder: "n1", By: "n1"}
}

func batches() []*core.PersistBatch {
	return []*core.PersistBatch{
		{Incarnation: 7, ViewChanged: true, View: []core.NodeID{"n2", "n3"}},
		{Entries: []core.Entry{entry("a", 1, false), entry("b", 1, false)}, Local: []core.PersistedChild{{ID: "a", Epoch: 1, Instance: 1, Active: true}}},
		{Entries: []core.Entry{entry("b", 2, true)}, LocalGone: []core.ChildID{"b"}},
		{Deleted: []core.ChildID{"b"}, Entries: []core.Entry{entry("c", 3, false)}},
	}
}

func want(bs []*core.PersistBatch) *core.Snapshot {
	s := core.NewSnapshot()
	for _, b := range bs {
		s.Apply(b)
	}
	return s
}

func writeAll(t *testing.T, dir string, bs []*core.PersistBatch) {
	t.Helper()
	w := open(t, dir)
	for _, b := range bs {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReopenYieldsWrittenState: what Write accepted is what Open reads
// back, folded.
func TestReopenYieldsWrittenState(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, batches())
	_, got, err := load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want(batches()), got); d != "" {
		t.Fatalf("reopened state differs (-want +got):\n%s", d)
	}
}

// TestTornTailIsDropped: a crash in mid-append leaves a partial last
// record; Open drops it (it was never synced, so never acknowledged) and
// keeps every whole record before it.
func TestTornTailIsDropped(t *testing.T) {
	for _, cut := range []int{1, 5, 9, 20} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			dir := t.TempDir()
			bs := batches()
			writeAll(t, dir, bs)
			p := filepath.Join(dir, walName)
			info, _ := os.Stat(p)
			if err := os.Truncate(p, info.Size()-int64(cut)); err != nil {
				t.Fatal(err)
			}
			w, got, err := load(dir)
			if err != nil {
				t.Fatalf("torn tail: %v", err)
			}
			if d := cmp.Diff(want(bs[:len(bs)-1]), got); d != "" {
				t.Fatalf("after a torn tail (-want +got):\n%s", d)
			}
			// The log was truncated after the last whole record: appending
			// works and reads back.
			if err := w.Write(bs[len(bs)-1]); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if _, got, err = load(dir); err != nil || cmp.Diff(want(bs), got) != "" {
				t.Fatalf("append after truncation: %v %s", err, cmp.Diff(want(bs), got))
			}
		})
	}
}

// TestCorruptionIsDetected: a flipped byte in a record before the last,
// or in the snapshot, is reported as core.ErrCorruptSnapshot, never
// served; Reset keeps the damaged files aside and starts empty.
func TestCorruptionIsDetected(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, batches())
	p := filepath.Join(dir, walName)
	b, _ := os.ReadFile(p)
	b[12] ^= 0x40 // inside the first record's body
	os.WriteFile(p, b, 0o600)
	if _, _, err := load(dir); !errors.Is(err, core.ErrCorruptSnapshot) {
		t.Fatalf("corrupted log record: %v, want ErrCorruptSnapshot", err)
	}
	w, _ := Open(dir)
	if err := w.Reset(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, got, err := load(dir); err != nil || len(got.Entries) != 0 || got.Incarnation != 0 {
		t.Fatalf("after Reset: %v %+v", err, got)
	}
	if _, err := os.Stat(p + ".corrupt"); err != nil {
		t.Fatalf("damaged log not kept aside: %v", err)
	}

	// The snapshot too.
	dir = t.TempDir()
	w = open(t, dir)
	for _, b := range batches() {
		w.Write(b)
	}
	if err := w.compact(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	sp := filepath.Join(dir, snapName)
	b, _ = os.ReadFile(sp)
	b[len(b)-3] ^= 1
	os.WriteFile(sp, b, 0o600)
	if _, _, err := load(dir); !errors.Is(err, core.ErrCorruptSnapshot) {
		t.Fatalf("corrupted snapshot: %v, want ErrCorruptSnapshot", err)
	}
}

// TestCompactionKeepsState: folding the log into the snapshot changes
// nothing that Open reads, and a crash between the snapshot's rename and
// the log's truncation (the old log replayed on the new snapshot) neither.
func TestCompactionKeepsState(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	var all []*core.PersistBatch
	for i := 0; i < 300; i++ {
		b := &core.PersistBatch{Entries: []core.Entry{entry(fmt.Sprintf("c%d", i%50), uint64(i+1), i%3 == 0)}}
		if i%7 == 0 {
			b.Deleted = []core.ChildID{core.ChildID(fmt.Sprintf("c%d", (i+1)%50))}
		}
		all = append(all, b)
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	walBefore, _ := os.ReadFile(filepath.Join(dir, walName))
	if err := w.compact(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, got, err := load(dir); err != nil || cmp.Diff(want(all), got) != "" {
		t.Fatalf("after compaction: %v %s", err, cmp.Diff(want(all), got))
	}
	os.WriteFile(filepath.Join(dir, walName), walBefore, 0o600) // crash before the truncation
	if _, got, err := load(dir); err != nil || cmp.Diff(want(all), got) != "" {
		t.Fatalf("old log replayed on the new snapshot: %v %s", err, cmp.Diff(want(all), got))
	}
}

// open opens and loads the store in dir.
func open(t *testing.T, dir string) *WAL {
	t.Helper()
	w, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Load(); err != nil {
		t.Fatal(err)
	}
	return w
}

func load(dir string) (*WAL, *core.Snapshot, error) {
	w, err := Open(dir)
	if err != nil {
		return nil, nil, err
	}
	s, err := w.Load()
	return w, s, err
}
