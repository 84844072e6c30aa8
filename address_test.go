package phub_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

func newTCP(t *testing.T, name core.NodeID) *transport.TCP {
	t.Helper()
	tr, err := transport.NewTCP(transport.TCPConfig{Name: name, ListenAddr: "127.0.0.1:0", InsecureNoAuth: true, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// A node joining by its seed's address, with the address set only on the
// TCP transport, serves requests at once. Core used to know no address
// for the seed, so the joiner did not recognise it and waited DownAfter
// (here a minute) before it took part.
func TestAdvertiseAddrFromTransport(t *testing.T) {
	timing := testTiming()
	timing.DownAfter = time.Minute
	var hubs []*phub.Hub
	var seed core.NodeID
	for _, name := range []core.NodeID{"n1", "n2"} {
		tr := newTCP(t, name)
		cfg := core.DefaultConfig(name)
		cfg.Timing = timing
		if seed != "" {
			cfg.Seeds = []core.NodeID{seed}
		}
		h, err := phub.New(phub.Config{Core: cfg, Transport: tr, Kinds: phub.Registry{"noop": noopKind}, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.Close(ctx)
		})
		for _, m := range h.Members() {
			if m.Name == name && m.Addr != tr.AdvertiseAddr() {
				t.Fatalf("%s advertises %q in core, the transport %q", name, m.Addr, tr.AdvertiseAddr())
			}
		}
		hubs = append(hubs, h)
		seed = core.NodeID(tr.Addr())
	}
	// Well below DownAfter: the joiner acts as soon as it has synced.
	ctx := ctxT(t, 20*time.Second)
	res, err := hubs[1].StartChildren(ctx, specs("noop", "adv", 4), phub.Await())
	if err != nil || !res.OK() {
		t.Fatalf("start from the joiner: %v %v", err, res.Errors())
	}
}

func TestAdvertiseAddrMismatch(t *testing.T) {
	tr := newTCP(t, "n1")
	cfg := core.DefaultConfig("n1")
	cfg.AdvertiseAddr = "127.0.0.1:1"
	h, err := phub.New(phub.Config{Core: cfg, Transport: tr, Logger: testLogger()})
	if !errors.Is(err, phub.ErrAdvertiseAddrMismatch) {
		if h != nil {
			h.Close(context.Background())
		}
		t.Fatalf("New with two advertise addresses: %v", err)
	}
	tr.Close()
}

// The in-memory transport's address is the node's name: a node on it
// needs no Core.AdvertiseAddr either (the examples set none).
func TestAdvertiseAddrFromInmem(t *testing.T) {
	cfg := core.DefaultConfig("m1")
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("m1"), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	for _, m := range h.Members() {
		if m.Name == "m1" {
			if m.Addr != "m1" {
				t.Fatalf("m1 advertises %q, want its name", m.Addr)
			}
			return
		}
	}
	t.Fatalf("m1 is not among its own members: %+v", h.Members())
}
