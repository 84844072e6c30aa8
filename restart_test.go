package phub_test

import (
	"context"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// testSecret is a cluster secret for tests over TCP.
var testSecret = []byte("0123456789abcdef-test-secret")

// readmeNode builds a node exactly as the README's library snippet does:
// core.DefaultConfig plus seeds, over the TCP transport with defaults.
// It returns the hub and the address its transport listens on.
func readmeNode(t *testing.T, name core.NodeID, seeds ...string) (*phub.Hub, string) {
	t.Helper()
	tcp, err := transport.NewTCP(transport.TCPConfig{Name: name, HubID: "phub", Secret: testSecret, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := core.DefaultConfig(name)
	for _, s := range seeds {
		cfg.Seeds = append(cfg.Seeds, core.NodeID(s))
	}
	h, err := phub.New(phub.Config{Core: cfg, Transport: tcp, Kinds: phub.Registry{"noop": noopKind}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return h, tcp.Addr()
}

// memberOf returns name's entry in h's member list.
func memberOf(h *phub.Hub, name core.NodeID) (core.Member, bool) {
	for _, m := range h.Members() {
		if m.Name == name {
			return m, true
		}
	}
	return core.Member{}, false
}

// TestReadmeNodeRejoinsAfterRestart restarts a library node built from the
// README snippet (core.DefaultConfig, no explicit incarnation) after a
// graceful leave: it must rejoin with a higher incarnation. With
// DefaultConfig's old Incarnation 1 the restarted node stayed "left".
func TestReadmeNodeRejoinsAfterRestart(t *testing.T) {
	n1, seed := readmeNode(t, "n1")
	t.Cleanup(func() { n1.Close(context.Background()) })
	n2, _ := readmeNode(t, "n2", seed)
	waitFor(t, 20*time.Second, "n1 and n2 see each other", func() bool {
		return len(n1.Alive()) == 2 && len(n2.Alive()) == 2
	})
	first, _ := memberOf(n1, "n2")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n2.Close(ctx); err != nil {
		t.Fatalf("close n2: %v", err)
	}
	waitFor(t, 20*time.Second, "n1 sees n2 leave", func() bool {
		m, _ := memberOf(n1, "n2")
		return m.Status != core.StatusAlive
	})
	m, _ := memberOf(n1, "n2")
	t.Logf("n1 sees n2 %s", m.Status)

	restarted := time.Now()
	n2, _ = readmeNode(t, "n2", seed)
	t.Cleanup(func() { n2.Close(context.Background()) })
	waitFor(t, 20*time.Second, "the restarted n2 rejoins", func() bool {
		m, _ := memberOf(n1, "n2")
		return m.Status == core.StatusAlive && len(n2.Alive()) == 2
	})
	t.Logf("restarted node rejoined in %s", time.Since(restarted).Round(time.Millisecond))
	again, _ := memberOf(n1, "n2")
	if again.Incarnation <= first.Incarnation {
		t.Fatalf("restarted incarnation %d, want > %d", again.Incarnation, first.Incarnation)
	}
}
