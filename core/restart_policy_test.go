package core

import (
	"errors"
	"testing"
)

// TestRestartPolicyNames: every policy round-trips through its name, the
// empty name is permanent, and an unknown policy or name is ErrInvalidSpec.
func TestRestartPolicyNames(t *testing.T) {
	for p, name := range map[RestartPolicy]string{Permanent: "permanent", Transient: "transient", Temporary: "temporary"} {
		b, err := p.MarshalText()
		if err != nil || string(b) != name || p.String() != name {
			t.Fatalf("%d: %q, %v; want %q", p, b, err, name)
		}
		var back RestartPolicy
		if err := back.UnmarshalText(b); err != nil || back != p {
			t.Fatalf("%q parses to %d, %v", b, back, err)
		}
		if err := (ChildSpec{ID: "c", Restart: p}).Validate(); err != nil {
			t.Fatalf("spec with %s rejected: %v", name, err)
		}
	}
	if p, err := ParseRestartPolicy(""); err != nil || p != Permanent {
		t.Fatalf(`"" parses to %d, %v; want permanent`, p, err)
	}
	bad := Temporary + 1
	if _, err := bad.MarshalText(); !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("policy %d marshals: %v", bad, err)
	}
	if bad.String() != "restart(3)" {
		t.Fatalf("String = %q", bad.String())
	}
	if err := (ChildSpec{ID: "c", Restart: bad}).Validate(); !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("spec with policy %d: %v", bad, err)
	}
	var p RestartPolicy
	if err := p.UnmarshalText([]byte("sometimes")); !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("unknown name: %v", err)
	}
}
