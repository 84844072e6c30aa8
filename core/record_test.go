package core

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestRecordStoresEveryEntryField fails when Entry or ChildSpec gains a
// field: the compact record (record.go) must learn to store it, or the
// registry would silently drop it.
func TestRecordStoresEveryEntryField(t *testing.T) {
	fields := func(v any) []string {
		var out []string
		ty := reflect.TypeOf(v)
		for i := 0; i < ty.NumField(); i++ {
			out = append(out, ty.Field(i).Name)
		}
		return out
	}
	if got, want := fields(Entry{}), []string{"Spec", "Metadata", "Epoch", "Stopped", "Holder", "By", "Pinned", "Reason", "StoppedAt", "Replicas"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Entry fields %v, record.go stores %v: extend record, store and fill", got, want)
	}
	if got, want := fields(ChildSpec{}), []string{"ID", "Kind", "Params", "Restart"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ChildSpec fields %v, record.go stores %v: extend record, store and fill", got, want)
	}
}

func genEntry(t *rapid.T) *Entry {
	names := []NodeID{"", "a", "b", "c"}
	e := &Entry{
		Spec: ChildSpec{
			ID:      ChildID(rapid.SampledFrom([]string{"x", "y", "z", "w"}).Draw(t, "id")),
			Kind:    rapid.SampledFrom([]string{"", "noop", "exec"}).Draw(t, "kind"),
			Restart: RestartPolicy(rapid.IntRange(0, int(Temporary)).Draw(t, "restart")),
		},
		Epoch:   rapid.Uint64Range(0, 4).Draw(t, "epoch"),
		Stopped: rapid.Bool().Draw(t, "stopped"),
		Holder:  rapid.SampledFrom(names).Draw(t, "holder"),
		By:      rapid.SampledFrom(names).Draw(t, "by"),
	}
	if rapid.Bool().Draw(t, "params") {
		e.Spec.Params = map[string]string{"cmd": rapid.StringN(0, 4, 8).Draw(t, "cmd")}
	}
	if rapid.Bool().Draw(t, "meta") {
		e.Metadata = Metadata{"tag": rapid.SampledFrom([]string{"", "t1", "t2"}).Draw(t, "tag")}
	}
	if rapid.Bool().Draw(t, "pinned") {
		e.Pinned = []NodeID{rapid.SampledFrom(names[1:]).Draw(t, "pin")}
	}
	if e.Stopped {
		e.Reason = rapid.SampledFrom([]string{"", "stopped", "exited"}).Draw(t, "reason")
		e.StoppedAt = Instant(rapid.Int64Range(0, 3).Draw(t, "at"))
	}
	if rapid.Bool().Draw(t, "replicas") {
		e.Replicas = []Replica{{Node: "a", Epoch: e.Epoch}}
	}
	return e
}

// TestRegistryRecordsRoundTrip puts, removes and reads random entries and
// compares the compact registry with a map of whole entries merged by the
// same rule: every read returns what a plain store would, and the digest,
// counts, shape references and rare fields stay consistent.
func TestRegistryRecordsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newRegistry()
		model := map[ChildID]*Entry{}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			if rapid.IntRange(0, 4).Draw(t, "op") == 0 {
				id := ChildID(rapid.SampledFrom([]string{"x", "y", "z", "w"}).Draw(t, "rm"))
				r.remove(id)
				delete(model, id)
			} else {
				e := genEntry(t)
				want := e.Clone()
				want.Replicas = nil
				old, had := model[e.Spec.ID]
				stored := r.put(e)
				if should := !had || newer(want, old); stored != should {
					t.Fatalf("put %+v over %+v stored %v, want %v", want, old, stored, should)
				}
				if stored {
					model[e.Spec.ID] = want
				}
			}
			var digest uint64
			live := 0
			for id, want := range model {
				got, ok := r.get(id)
				if !ok {
					t.Fatalf("entry %q lost", id)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("entry %q read back differs (-put +got):\n%s", id, d)
				}
				if _, ok := r.active(id); ok == want.Stopped {
					t.Fatalf("active(%q) = %v for stopped=%v", id, ok, want.Stopped)
				}
				if reason, at, ok := r.tombstone(id); ok != want.Stopped || (ok && (reason != want.Reason || at != want.StoppedAt)) {
					t.Fatalf("tombstone(%q) = %q %d %v for %+v", id, reason, at, ok, want)
				}
				digest ^= entryHash(want)
				if !want.Stopped {
					live++
				}
			}
			if r.len() != len(model) || r.live != live || r.digest != digest {
				t.Fatalf("registry holds %d (%d live, digest %x), model %d (%d live, digest %x)", r.len(), r.live, r.digest, len(model), live, digest)
			}
			if err := r.recordsInvariant(); err != nil {
				t.Fatal(err)
			}
		}
		for id := range model {
			r.remove(id)
		}
		if r.shapes.live() != 0 || len(r.rare) != 0 {
			t.Fatalf("an empty registry keeps %d shapes and %d rare records", r.shapes.live(), len(r.rare))
		}
	})
}

// TestTombstonesOfOneStopShareAShape: the tombstones a stop writes at one
// instant with one reason share one interned shape and need no rare
// record, so a stop stores nothing per child beside the record itself;
// a tombstone written later gets a shape of its own.
func TestTombstonesOfOneStopShareAShape(t *testing.T) {
	r := newRegistry()
	for i := 0; i < 100; i++ {
		id := ChildID(fmt.Sprintf("c%d", i))
		r.put(&Entry{Spec: ChildSpec{ID: id, Kind: "noop"}, Epoch: 1, Holder: "a", By: "a"})
		r.put(&Entry{Spec: ChildSpec{ID: id, Kind: "noop"}, Epoch: 2, Stopped: true, Holder: "a", By: "a", Reason: "stopped", StoppedAt: 42})
	}
	r.put(&Entry{Spec: ChildSpec{ID: "late", Kind: "noop"}, Epoch: 2, Stopped: true, Holder: "a", By: "a", Reason: "stopped", StoppedAt: 43})
	if r.shapes.live() != 2 || len(r.rare) != 0 {
		t.Fatalf("101 tombstones of two stops use %d shapes and %d rare records, want 2 and 0", r.shapes.live(), len(r.rare))
	}
	if reason, at, ok := r.tombstone("c7"); !ok || reason != "stopped" || at != 42 {
		t.Fatalf("tombstone(c7) = %q, %d, %v", reason, at, ok)
	}
	if err := r.recordsInvariant(); err != nil {
		t.Fatal(err)
	}
}
