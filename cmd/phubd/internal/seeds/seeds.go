// Package seeds makes seed host names work with the core's static seed
// list: a seed such as "dns:phub-headless.ns.svc:7946" (or any host:port
// whose host is a name) is re-resolved periodically and every address it
// resolves to becomes a seed address. It also counts the messages the
// node sends and receives, for metrics.
//
// The core names a seed by the string the operator wrote and sends it a
// join on every heartbeat until it sees a member there. Transport wraps
// the real transport: a message to a seed name goes to each resolved
// address that is not this node and not already an alive member, so a
// formed cluster is not re-joined every heartbeat.
package seeds

import (
	"context"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// Resolver looks up the addresses of a host (net.DefaultResolver fits).
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Transport is a transport.Transport that fans messages to seed names
// out to the seeds' resolved addresses and counts traffic.
type Transport struct {
	inner     transport.Transport
	self      string // advertise address of this node
	seeds     []string
	res       Resolver
	log       *slog.Logger
	inbox     chan transport.Inbound
	members   atomic.Pointer[func() []core.Member]
	mu        sync.Mutex
	addrs     map[string][]string // seed -> resolved host:port, sorted
	sent      [core.MsgKind(32)]atomic.Uint64
	received  [core.MsgKind(32)]atomic.Uint64
	sendErrs  atomic.Uint64
	stop      chan struct{}
	stopOnce  sync.Once
	refreshWG sync.WaitGroup
}

var _ transport.Transport = (*Transport)(nil)

// New wraps inner. self is this node's advertise address (never used as
// a seed target); seeds are the operator's seed strings.
func New(inner transport.Transport, self string, seedList []string, res Resolver, log *slog.Logger) *Transport {
	if res == nil {
		res = net.DefaultResolver
	}
	t := &Transport{inner: inner, self: self, seeds: seedList, res: res, log: log,
		inbox: make(chan transport.Inbound, cap(inner.Inbox())), addrs: map[string][]string{}, stop: make(chan struct{})}
	go t.pump()
	return t
}

// SeedIDs returns the seed names to give core.Config.Seeds.
func (t *Transport) SeedIDs() []core.NodeID {
	out := make([]core.NodeID, len(t.seeds))
	for i, s := range t.seeds {
		out[i] = core.NodeID(s)
	}
	return out
}

// SetMembers gives the transport the hub's member list, used to skip
// seed addresses that are already alive members.
func (t *Transport) SetMembers(fn func() []core.Member) { t.members.Store(&fn) }

// Refresh resolves every seed once. Resolution failures keep the
// previous addresses of that seed and are logged.
func (t *Transport) Refresh(ctx context.Context) {
	for _, s := range t.seeds {
		host, port, err := net.SplitHostPort(strings.TrimPrefix(s, "dns:"))
		if err != nil {
			continue
		}
		var ips []string
		if net.ParseIP(host) != nil {
			ips = []string{host}
		} else {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ips, err = t.res.LookupHost(lctx, host)
			cancel()
			if err != nil {
				t.log.Warn("seed resolution failed", "seed", s, "err", err)
				continue
			}
		}
		addrs := make([]string, 0, len(ips))
		for _, ip := range ips {
			addrs = append(addrs, net.JoinHostPort(ip, port))
		}
		sort.Strings(addrs)
		t.mu.Lock()
		old := t.addrs[s]
		t.addrs[s] = addrs
		t.mu.Unlock()
		for _, a := range addrs {
			t.inner.SetAddress(core.NodeID(a), a)
		}
		if strings.Join(old, ",") != strings.Join(addrs, ",") {
			t.log.Info("seed resolved", "seed", s, "addrs", strings.Join(addrs, ","))
		}
	}
}

// Run refreshes the seeds every interval until Close.
func (t *Transport) Run(interval time.Duration) {
	t.refreshWG.Add(1)
	go func() {
		defer t.refreshWG.Done()
		tk := time.NewTicker(interval)
		defer tk.Stop()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { <-t.stop; cancel() }()
		for {
			select {
			case <-t.stop:
				return
			case <-tk.C:
				t.Refresh(ctx)
			}
		}
	}()
}

// Targets returns the addresses a message to seed would go to now.
func (t *Transport) Targets(seed string) ([]string, bool) {
	t.mu.Lock()
	addrs, ok := t.addrs[seed]
	t.mu.Unlock()
	if !ok {
		return nil, false
	}
	skip := map[string]bool{t.self: true}
	if fn := t.members.Load(); fn != nil {
		for _, m := range (*fn)() {
			if m.Status == core.StatusAlive && m.Addr != "" {
				skip[m.Addr] = true
			}
		}
	}
	var out []string
	for _, a := range addrs {
		if !skip[a] {
			out = append(out, a)
		}
	}
	return out, true
}

// Send sends m to the peer named to; a seed name fans out to its
// resolved addresses.
func (t *Transport) Send(to core.NodeID, m core.Message) error {
	if targets, ok := t.Targets(string(to)); ok {
		var first error
		for _, a := range targets {
			if err := t.send(core.NodeID(a), m); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	return t.send(to, m)
}

func (t *Transport) send(to core.NodeID, m core.Message) error {
	err := t.inner.Send(to, m)
	if err != nil {
		t.sendErrs.Add(1)
	} else if int(m.Kind) < len(t.sent) {
		t.sent[m.Kind].Add(1)
	}
	return err
}

func (t *Transport) pump() {
	defer close(t.inbox)
	for in := range t.inner.Inbox() {
		if int(in.Msg.Kind) < len(t.received) {
			t.received[in.Msg.Kind].Add(1)
		}
		select {
		case t.inbox <- in:
		case <-t.stop: // nobody reads any more; drain until inner closes
		}
	}
}

// Inbox delivers the inner transport's messages.
func (t *Transport) Inbox() <-chan transport.Inbound { return t.inbox }

// SetAddress records a peer's address in the inner transport.
func (t *Transport) SetAddress(name core.NodeID, addr string) { t.inner.SetAddress(name, addr) }

// ResetPeer passes the runtime's "peer is down: drop and redial" to the
// inner transport when it supports it (transport.PeerResetter).
func (t *Transport) ResetPeer(name core.NodeID) {
	if r, ok := t.inner.(transport.PeerResetter); ok {
		r.ResetPeer(name)
	}
}

// SetIdentity passes the runtime's identity (incarnation, admission
// check) to the inner transport when it checks identities
// (transport.IdentityChecker).
func (t *Transport) SetIdentity(id transport.Identity) {
	if ic, ok := t.inner.(transport.IdentityChecker); ok {
		ic.SetIdentity(id)
	}
}

// Close stops the refresher and closes the inner transport.
func (t *Transport) Close() error {
	t.stopOnce.Do(func() { close(t.stop) })
	t.refreshWG.Wait()
	return t.inner.Close()
}

// Counts returns messages sent and received per message kind name, and
// failed sends.
func (t *Transport) Counts() (sent, received map[string]uint64, sendErrors uint64) {
	sent, received = map[string]uint64{}, map[string]uint64{}
	for k := range t.sent {
		if n := t.sent[k].Load(); n > 0 {
			sent[core.MsgKind(k).String()] = n
		}
		if n := t.received[k].Load(); n > 0 {
			received[core.MsgKind(k).String()] = n
		}
	}
	return sent, received, t.sendErrs.Load()
}
