package core

import "testing"

// TestReadyEmpty: a batch is empty exactly when it holds nothing to
// send, apply, answer, publish, fence or persist — drivers loop on
// Ready until it is empty, so any one of these makes it non-empty.
func TestReadyEmpty(t *testing.T) {
	if rd := (Ready{}); !rd.Empty() {
		t.Fatal("the zero batch is not empty")
	}
	if rd := (Ready{Persist: &PersistBatch{}}); !rd.Empty() {
		t.Fatal("a batch with nothing to persist is not empty")
	}
	for name, rd := range map[string]Ready{
		"messages":             {Messages: []Envelope{{To: "n2"}}},
		"effects":              {Effects: []Effect{{ID: "c"}}},
		"replies":              {Replies: []Reply{{ID: 1}}},
		"changes":              {Changes: []RegistryChange{{}}},
		"hooks":                {Hooks: []Hook{{}}},
		"lease":                {LeaseUntil: 1},
		"persist":              {Persist: &PersistBatch{Incarnation: 1}},
		"messages and replies": {Messages: []Envelope{{To: "n2"}}, Replies: []Reply{{ID: 1}}},
	} {
		if rd.Empty() {
			t.Errorf("a batch with %s is empty", name)
		}
	}
}
