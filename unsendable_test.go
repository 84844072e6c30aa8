package phub_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// syncBuffer is a log sink safe for the hub's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnsendableMessageIsLoggedAndCounted: a message whose frame exceeds
// the transport's limit (a transport configured below the node's
// core.Limits) is never a silent drop: the hub logs it at error level,
// naming the message, and counts it (phub_messages_unsendable_total).
func TestUnsendableMessageIsLoggedAndCounted(t *testing.T) {
	net := transport.NewInmemNetwork()
	logs := map[core.NodeID]*syncBuffer{}
	hubs := map[core.NodeID]*phub.Hub{}
	for _, name := range []core.NodeID{"a", "b"} {
		cfg := core.DefaultConfig(name)
		cfg.Incarnation = 0
		cfg.Timing = testTiming()
		cfg.AdvertiseAddr = string(name)
		cfg.Seeds = []core.NodeID{"a", "b"}
		logs[name] = &syncBuffer{}
		h, err := phub.New(phub.Config{Core: cfg, Transport: net.Endpoint(name), Kinds: phub.Registry{"noop": noopKind},
			Logger: slog.New(slog.NewTextHandler(logs[name], &slog.HandlerOptions{Level: slog.LevelInfo}))})
		if err != nil {
			t.Fatal(err)
		}
		hubs[name] = h
		defer h.Close(ctxT(t, 5*time.Second))
	}
	waitFor(t, 5*time.Second, "cluster formed", func() bool { return len(hubs["a"].Alive()) == 2 && len(hubs["b"].Alive()) == 2 })
	net.SetMaxFrameBytes(2048)
	var spcs []core.ChildSpec
	for i := 0; i < 20; i++ {
		spcs = append(spcs, core.ChildSpec{ID: core.ChildID(strings.Repeat("w", 1+i)), Kind: "noop", Params: map[string]string{"args": strings.Repeat("a", 4096)}})
	}
	if _, err := hubs["a"].StartChildren(ctxT(t, 5*time.Second), spcs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "an unsendable message counted", func() bool {
		return hubs["a"].UnsendableMessages()+hubs["b"].UnsendableMessages() > 0
	})
	all := logs["a"].String() + logs["b"].String()
	if !strings.Contains(all, "level=ERROR") || !strings.Contains(all, "message cannot be sent") || !strings.Contains(all, "frame too large") {
		t.Fatalf("no error-level log line naming the unsendable message:\n%s", all)
	}
}

// TestNewRefusesTransportBelowTheLimits: a TCP transport whose frame limit
// cannot carry the node's Limits.MaxMessageBytes is refused at New, with
// both figures named, instead of failing sends later.
func TestNewRefusesTransportBelowTheLimits(t *testing.T) {
	tr, err := transport.NewTCP(transport.TCPConfig{Name: "a", InsecureNoAuth: true, MaxFrameBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	cfg := core.DefaultConfig("a")
	_, err = phub.New(phub.Config{Core: cfg, Transport: tr, Logger: testLogger()})
	if err == nil || !strings.Contains(err.Error(), "Limits.MaxMessageBytes") {
		t.Fatalf("New with a 1 MiB frame limit: %v, want a config error naming Limits.MaxMessageBytes", err)
	}
	cfg.Limits.MaxMessageBytes = 1<<20 - 64
	h, err := phub.New(phub.Config{Core: cfg, Transport: tr, Logger: testLogger()})
	if err != nil {
		t.Fatalf("New with matching limits: %v", err)
	}
	h.Close(ctxT(t, 5*time.Second))
}
