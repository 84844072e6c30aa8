package seeds

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][]string
	calls int
}

func (r *fakeResolver) set(host string, ips ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts[host] = ips
}

func (r *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	ips, ok := r.hosts[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	return ips, nil
}

// recorder is a transport that records sends and addresses.
type recorder struct {
	mu    sync.Mutex
	sent  []core.NodeID
	addrs map[core.NodeID]string
	inbox chan transport.Inbound
}

func newRecorder() *recorder {
	return &recorder{addrs: map[core.NodeID]string{}, inbox: make(chan transport.Inbound, 4)}
}
func (r *recorder) Send(to core.NodeID, m core.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.addrs[to]; !ok {
		return transport.ErrUnknownPeer
	}
	r.sent = append(r.sent, to)
	return nil
}
func (r *recorder) Inbox() <-chan transport.Inbound { return r.inbox }
func (r *recorder) SetAddress(n core.NodeID, a string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[n] = a
}
func (r *recorder) Close() error { close(r.inbox); return nil }
func (r *recorder) take() []core.NodeID {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	slices.Sort(out)
	return out
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDNSSeedsFanOutAndReResolve(t *testing.T) {
	res := &fakeResolver{hosts: map[string][]string{}}
	res.set("phub-headless.ns.svc", "10.0.0.2", "10.0.0.1", "10.0.0.3")
	rec := newRecorder()
	tr := New(rec, "10.0.0.1:7946", []string{"dns:phub-headless.ns.svc:7946", "10.0.0.9:7000"}, res, quiet())
	defer tr.Close()
	tr.Refresh(context.Background())
	if ids := tr.SeedIDs(); len(ids) != 2 || ids[0] != "dns:phub-headless.ns.svc:7946" {
		t.Fatalf("seed ids %v", ids)
	}
	join := core.Message{Kind: core.MsgJoin}
	// Every address but our own.
	if err := tr.Send("dns:phub-headless.ns.svc:7946", join); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !slices.Equal(got, []core.NodeID{"10.0.0.2:7946", "10.0.0.3:7946"}) {
		t.Fatalf("sent to %v", got)
	}
	// An IP seed needs no resolver.
	tr.Send("10.0.0.9:7000", join)
	if got := rec.take(); !slices.Equal(got, []core.NodeID{"10.0.0.9:7000"}) {
		t.Fatalf("ip seed: %v", got)
	}
	// Alive members are not joined again.
	tr.SetMembers(func() []core.Member {
		return []core.Member{{Name: "b", Status: core.StatusAlive, Addr: "10.0.0.2:7946"}, {Name: "c", Status: core.StatusDown, Addr: "10.0.0.3:7946"}}
	})
	tr.Send("dns:phub-headless.ns.svc:7946", join)
	if got := rec.take(); !slices.Equal(got, []core.NodeID{"10.0.0.3:7946"}) {
		t.Fatalf("with members: %v", got)
	}
	// Re-resolution picks up a new pod and drops a gone one; a failed
	// lookup keeps the previous addresses.
	res.set("phub-headless.ns.svc", "10.0.0.1", "10.0.0.4")
	tr.Run(10 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := tr.Targets("dns:phub-headless.ns.svc:7946"); slices.Equal(got, []string{"10.0.0.4:7946"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("new address not picked up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.mu.Lock()
	delete(res.hosts, "phub-headless.ns.svc")
	res.mu.Unlock()
	tr.Refresh(context.Background())
	if got, _ := tr.Targets("dns:phub-headless.ns.svc:7946"); !slices.Equal(got, []string{"10.0.0.4:7946"}) {
		t.Fatalf("after a failed lookup: %v", got)
	}
	// Other names pass through; traffic is counted.
	rec.SetAddress("b", "10.0.0.2:7946")
	if err := tr.Send("b", core.Message{Kind: core.MsgHeartbeat}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Send("nobody", core.Message{Kind: core.MsgHeartbeat}); !errors.Is(err, transport.ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	rec.inbox <- transport.Inbound{From: "b", Msg: core.Message{Kind: core.MsgWelcome}}
	<-tr.Inbox()
	sent, recv, errs := tr.Counts()
	if sent["heartbeat"] != 1 || sent["join"] < 4 || recv["welcome"] != 1 || errs != 1 {
		t.Fatalf("counts: sent %v received %v errors %d", sent, recv, errs)
	}
}
