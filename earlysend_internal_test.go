package phub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// sendLog is a transport that records what its hub hands it, in order,
// with "apply" marks the hub's beforeApply hook adds.
type sendLog struct {
	transport.Transport
	mu  sync.Mutex
	log []string
}

func (s *sendLog) Send(to core.NodeID, m core.Message) error {
	s.mark(m.Kind.String())
	return s.Transport.Send(to, m)
}

func (s *sendLog) mark(what string) {
	s.mu.Lock()
	s.log = append(s.log, what)
	s.mu.Unlock()
}

// TestRequestsLeaveBeforeTheIndexWork: a requester whose Ready holds
// requests for the other owners and its own children's changes hands the
// requests (and its replication round) to the transport before it
// updates its index and runs its effects, so the owners start on them at
// once; in strict mode it sends nothing before. Fails if process() goes
// back to sending every message after the index work.
func TestRequestsLeaveBeforeTheIndexWork(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			net := transport.NewInmemNetwork()
			names := []core.NodeID{"a", "b", "c"}
			var logA *sendLog
			var hubs []*Hub
			for _, name := range names {
				cfg := core.DefaultConfig(name)
				cfg.Incarnation = 0
				cfg.Timing.TickInterval = 5 * time.Millisecond
				cfg.Timing.HeartbeatInterval = 20 * time.Millisecond
				cfg.Timing.DownAfter = 5 * time.Second
				cfg.Timing.RetryInterval = 50 * time.Millisecond
				for _, s := range names {
					if s != name {
						cfg.Seeds = append(cfg.Seeds, s)
					}
				}
				if strict {
					cfg.Partition.Kind = core.Strict
					cfg.Partition.Voters = names
					cfg.Partition.Lease = time.Second // a booting voter holds a lease's time
				}
				var tr transport.Transport = net.Endpoint(name)
				if name == "a" {
					logA = &sendLog{Transport: tr}
					tr = logA
				}
				h, err := New(Config{Core: cfg, Transport: tr, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
					Kinds: Registry{"idle": func(core.ChildSpec) (Child, error) { return &IdleChild{}, nil }}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					h.Close(ctx)
				})
				hubs = append(hubs, h)
			}
			deadline := time.Now().Add(30 * time.Second)
			for _, h := range hubs {
				for len(h.Alive()) != len(hubs) || h.Partitioned() {
					if time.Now().After(deadline) {
						t.Fatalf("%s sees %v alive", h.Name(), h.Alive())
					}
					time.Sleep(time.Millisecond)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			a := hubs[0]
			// Marks the index update of the start's first Ready (the one
			// carrying the requests to the other owners).
			if err := a.call(ctx, func() {
				a.beforeApply = func(msgs []core.Envelope) {
					if len(msgs) > 0 && msgs[0].Msg.Kind == core.MsgRequest {
						logA.mark("apply")
					}
				}
			}); err != nil {
				t.Fatal(err)
			}
			sp := make([]core.ChildSpec, 30) // owned by all three
			for i := range sp {
				sp[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("early-%d", i)), Kind: "idle"}
			}
			logA.mu.Lock()
			logA.log = nil
			logA.mu.Unlock()
			if res, err := a.StartChildren(ctx, sp, Await()); err != nil || !res.OK() {
				t.Fatalf("start: %v %v", err, res.Errors())
			}
			logA.mu.Lock()
			log := append([]string(nil), logA.log...)
			logA.mu.Unlock()
			apply, requests := -1, 0
			for i, what := range log {
				if what == "apply" {
					apply = i
					break
				}
				if what == "request" {
					requests++
				}
			}
			if apply < 0 {
				t.Fatalf("no index update of a Ready carrying requests: %v", log)
			}
			if strict && requests != 0 {
				t.Errorf("strict mode: %d requests sent before their Ready's index update: %v", requests, log)
			}
			if !strict && requests < 2 {
				t.Errorf("%d requests sent before their Ready's index update, want one per other owner (2): %v", requests, log)
			}
		})
	}
}
