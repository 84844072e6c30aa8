package main

import (
	"path/filepath"
	"testing"
)

// TestEquivalentIDsExist: every mutant EQUIVALENT.md explains is a
// mutant of today's core/ — ids carry line numbers, and an edit of core/
// that moves one would leave its reason attached to nothing (or to
// another mutant) while the score silently counts the moved mutant.
func TestEquivalentIDsExist(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	eq := readEquivalent(filepath.Join(root, "cmd/mutate/EQUIVALENT.md"))
	if len(eq) == 0 {
		t.Fatal("EQUIVALENT.md lists no mutant")
	}
	p, err := loadPackage(root, "core")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range p.Enumerate() {
		ids[m.ID()] = true
	}
	for id := range eq {
		if !ids[id] {
			t.Errorf("EQUIVALENT.md explains %s, which is not a mutant of today's core/ (moved? see --list, --print)", id)
		}
	}
}
