package transport

import (
	"errors"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

func TestInmemRoundtrip(t *testing.T) {
	checkNoLeak(t)
	n := NewInmemNetwork()
	a, b := n.Endpoint("a"), n.Endpoint("b")
	defer a.Close()
	defer b.Close()
	m := sampleMessage()
	m.From = "a"
	if err := a.Send("b", m); err != nil {
		t.Fatal(err)
	}
	in := recv(t, b, time.Second)
	if in.From != "a" || in.Msg.Seq != m.Seq || len(in.Msg.Entries) != 1 {
		t.Fatalf("got %+v", in)
	}
	// The receiver owns a copy.
	m.Entries[0].Spec.ID = "mutated"
	if in.Msg.Entries[0].Spec.ID != "c1" {
		t.Fatal("message shared between sender and receiver")
	}
}

func TestInmemAddresses(t *testing.T) {
	n := NewInmemNetwork()
	a, b := n.Endpoint("a"), n.Endpoint("n1")
	if err := a.Send("seed:1", heartbeat("a", 1)); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown: %v", err)
	}
	a.SetAddress("seed:1", "n1") // a seed named by its address
	if err := a.Send("seed:1", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, time.Second); in.From != "a" {
		t.Fatalf("got %+v", in)
	}
	a.SetAddress("gone", "nobody-listens")
	if err := a.Send("gone", heartbeat("a", 1)); err != nil {
		t.Fatalf("known address without listener should drop silently: %v", err)
	}
	if err := a.Send("n1", core.Message{From: "a"}); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("invalid: %v", err)
	}
	a.Close()
	b.Close()
	if err := a.Send("n1", heartbeat("a", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
	if _, ok := <-b.Inbox(); ok {
		t.Fatal("inbox open after Close")
	}
}

func TestInmemDisconnectReconnect(t *testing.T) {
	n := NewInmemNetwork()
	a, b := n.Endpoint("a"), n.Endpoint("b")
	n.Disconnect("b")
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send("a", heartbeat("b", 1)); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, a, 10*time.Millisecond)
	expectNothing(t, b, 10*time.Millisecond)
	n.Reconnect("b")
	if err := a.Send("b", heartbeat("a", 2)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, time.Second); in.Msg.Seq != 2 {
		t.Fatalf("got %+v", in)
	}
}

func TestInmemRestartReplacesEndpoint(t *testing.T) {
	n := NewInmemNetwork()
	a, b := n.Endpoint("a"), n.Endpoint("b")
	b2 := n.Endpoint("b")
	if _, ok := <-b.Inbox(); ok {
		t.Fatal("old endpoint not closed")
	}
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, b2, time.Second)
	b.Close() // closing the replaced endpoint must not detach the new one
	if err := a.Send("b", heartbeat("a", 2)); err != nil {
		t.Fatal(err)
	}
	recv(t, b2, time.Second)
}

func TestInmemQueueFull(t *testing.T) {
	n := NewInmemNetwork()
	a := n.Endpoint("a")
	n.Endpoint("b")
	for i := range InmemInboxSize {
		if err := a.Send("b", heartbeat("a", uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Send("b", heartbeat("a", 0)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("got %v", err)
	}
}
