package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// TestTCPSendManyReachesEveryPeer sends one message to two peers and an
// unknown one: both peers receive it whole, and the unknown one's error
// stands at its index alone.
func TestTCPSendManyReachesEveryPeer(t *testing.T) {
	checkNoLeak(t)
	a := newTestTCP(t, testConfig("a"))
	b := newTestTCP(t, testConfig("b"))
	c := newTestTCP(t, testConfig("c"))
	a.SetAddress("b", b.Addr())
	a.SetAddress("c", c.Addr())
	m := core.Message{Kind: core.MsgClaims, From: "a", Inc: 1, Seq: 9, Version: 3, Count: 2,
		Entries: []core.Entry{{Spec: core.ChildSpec{ID: "x", Kind: "k"}, Epoch: 2, Stopped: true, Holder: "a", By: "a", Reason: "stopped"}},
		Claims:  []core.Claim{{ID: "x", Epoch: 1, Instance: 4, Removed: true}}}
	errs := a.SendMany([]core.NodeID{"b", "nobody", "c"}, m)
	if len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], ErrUnknownPeer) || errs[2] != nil {
		t.Fatalf("errors %v", errs)
	}
	for _, tr := range []*TCP{b, c} {
		in := recv(t, tr, 5*time.Second)
		got := in.Msg
		if in.From != "a" || got.Kind != core.MsgClaims || got.Seq != 9 || got.Version != 3 || got.Count != 2 ||
			len(got.Entries) != 1 || got.Entries[0].Spec.ID != "x" || !got.Entries[0].Stopped ||
			len(got.Claims) != 1 || got.Claims[0] != m.Claims[0] {
			t.Fatalf("received %+v", in)
		}
	}
	if errs := a.SendMany([]core.NodeID{"b", "c"}, m); errs != nil {
		t.Fatalf("errors %v", errs)
	}
	if errs := a.SendMany([]core.NodeID{"b", "c"}, core.Message{From: "a"}); len(errs) != 2 || !errors.Is(errs[0], ErrInvalidMessage) || !errors.Is(errs[1], ErrInvalidMessage) {
		t.Fatalf("invalid message: %v", errs)
	}
}
