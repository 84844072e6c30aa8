package transport

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

func TestHandshakeFramesRoundtrip(t *testing.T) {
	h := hello{Hub: "h", Name: "n1", Advertise: "1.2.3.4:5", Nonce: newNonce(), Incarnation: 1 << 62}
	if got, err := parseHello(h.marshal()); err != nil || got != h {
		t.Fatalf("hello: %v %+v", err, got)
	}
	c := challenge{Hub: "h", Name: "n2", Nonce: newNonce()}
	c.MAC = handshakeMAC(testSecret, roleAccept, &h, c.Name, &c.Nonce)
	if got, err := parseChallenge(c.marshal()); err != nil || got != c {
		t.Fatalf("challenge: %v %+v", err, got)
	}
	a := authFrame{MAC: c.MAC}
	if got, err := parseAuth(a.marshal()); err != nil || got != a {
		t.Fatalf("auth: %v %+v", err, got)
	}
	for _, v := range []verdict{{MAC: c.MAC}, {Refused: true, Reason: "name in use", MAC: c.MAC}} {
		if got, err := parseVerdict(v.marshal()); err != nil || got != v {
			t.Fatalf("verdict: %v %+v", err, got)
		}
	}
	if _, err := parseVerdict(append(appendField(nil, []byte{2}), (&verdict{}).marshal()[3:]...)); !errors.Is(err, ErrHandshake) {
		t.Errorf("verdict 2 accepted: %v", err)
	}
	for _, bad := range [][]byte{nil, {0}, {0, 5, 'a'}, append(h.marshal(), 0)} {
		if _, err := parseHello(bad); !errors.Is(err, ErrHandshake) {
			t.Errorf("parseHello(%q): %v", bad, err)
		}
	}
	empty := hello{Hub: "h", Nonce: newNonce()}
	if _, err := parseHello(empty.marshal()); !errors.Is(err, ErrHandshake) {
		t.Errorf("empty name accepted: %v", err)
	}
}

func TestHandshakeMACBindsEveryField(t *testing.T) {
	h := hello{Hub: "h", Name: "n1", Advertise: "a", Nonce: newNonce()}
	n := newNonce()
	base := handshakeMAC(testSecret, roleDial, &h, "n2", &n)
	if handshakeMAC(testSecret, roleAccept, &h, "n2", &n) == base {
		t.Error("role not bound")
	}
	if handshakeMAC(testSecret, roleDial, &h, "n3", &n) == base {
		t.Error("acceptor name not bound")
	}
	if handshakeMAC([]byte("other-secret-xxxxxxxx"), roleDial, &h, "n2", &n) == base {
		t.Error("secret not bound")
	}
	for _, mut := range []func(*hello){
		func(x *hello) { x.Hub = "g" },
		func(x *hello) { x.Name = "n9" },
		func(x *hello) { x.Advertise = "b" },
		func(x *hello) { x.Nonce[0]++ },
		func(x *hello) { x.Incarnation++ },
	} {
		x := h
		mut(&x)
		if handshakeMAC(testSecret, roleDial, &x, "n2", &n) == base {
			t.Errorf("hello field not bound: %+v", x)
		}
	}
}

// runHandshake runs both sides over a pipe.
func runHandshake(d, a handshakeParams, expect core.NodeID) (dp, ap peerInfo, derr, aerr error) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	deadline := time.Now().Add(2 * time.Second)
	c1.SetDeadline(deadline)
	c2.SetDeadline(deadline)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ap, aerr = acceptHandshake(c2, a)
		c2.Close()
	}()
	dp, derr = dialHandshake(c1, d, expect)
	c1.Close()
	<-done
	return
}

func TestHandshakeOutcomes(t *testing.T) {
	d := handshakeParams{Hub: "h", Name: "n1", Advertise: "x:1", Secret: testSecret}
	a := handshakeParams{Hub: "h", Name: "n2", Secret: testSecret}
	dp, ap, derr, aerr := runHandshake(d, a, "")
	if derr != nil || aerr != nil || dp.Name != "n2" || ap.Name != "n1" || ap.Advertise != "x:1" {
		t.Fatalf("ok case: %v %v %+v %+v", derr, aerr, dp, ap)
	}
	wrong := a
	wrong.Secret = []byte("wrong-secret-wrong-secret")
	if _, _, derr, aerr = runHandshake(d, wrong, ""); !errors.Is(derr, ErrBadMAC) || aerr == nil {
		t.Fatalf("wrong secret: %v / %v", derr, aerr)
	}
	other := a
	other.Hub = "g"
	if _, _, _, aerr = runHandshake(d, other, ""); !errors.Is(aerr, ErrHubMismatch) {
		t.Fatalf("hub mismatch: %v", aerr)
	}
	if _, _, derr, aerr = runHandshake(d, a, "n3"); !errors.Is(derr, ErrPeerName) || aerr == nil {
		t.Fatalf("wrong name: %v / %v", derr, aerr)
	}
	noauth := d
	noauth.Secret = nil
	if _, _, derr, aerr = runHandshake(noauth, a, ""); derr == nil || aerr == nil {
		t.Fatalf("insecure dialer accepted: %v / %v", derr, aerr)
	}
}
