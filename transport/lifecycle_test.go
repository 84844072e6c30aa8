package transport

import (
	"testing"
	"time"
)

// TestTCPCloseFlushesQueuedMessages: messages queued for a connected peer
// right before Close still reach it (a graceful leave is a node's last
// message). Before Close flushed, they were dropped.
func TestTCPCloseFlushesQueuedMessages(t *testing.T) {
	checkNoLeak(t)
	b := newTestTCP(t, testConfig("b"))
	a, err := NewTCP(testConfig("a"))
	if err != nil {
		t.Fatal(err)
	}
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second) // connected
	const n = 200
	for i := 2; i <= n; i++ {
		if err := a.Send("b", heartbeat("a", uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= n; i++ {
		if in := recv(t, b, 5*time.Second); in.Msg.Seq != uint64(i) {
			t.Fatalf("got seq %d, want %d", in.Msg.Seq, i)
		}
	}
}

// TestTCPLearnedAddressFollowsRestart: an address learned from a
// handshake is replaced by a later handshake (a restarted peer listens on
// a new port), while an address set with SetAddress is kept.
func TestTCPLearnedAddressFollowsRestart(t *testing.T) {
	checkNoLeak(t)
	a := newTestTCP(t, testConfig("a"))
	b1, err := NewTCP(testConfig("b"))
	if err != nil {
		t.Fatal(err)
	}
	b1.SetAddress("a", a.Addr())
	if err := b1.Send("a", heartbeat("b", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, a, 5*time.Second) // a learned b1's address
	b1.Close()
	b2 := newTestTCP(t, testConfig("b")) // "restarted" on a new port
	b2.SetAddress("a", a.Addr())
	if err := b2.Send("a", heartbeat("b", 2)); err != nil {
		t.Fatal(err)
	}
	recv(t, a, 5*time.Second)
	if err := a.Send("b", heartbeat("a", 3)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b2, 5*time.Second); in.Msg.Seq != 3 {
		t.Fatalf("b2 got %+v", in)
	}

	// An explicit address is not replaced by what a handshake says.
	c := newTestTCP(t, testConfig("c"))
	c.SetAddress("b", "127.0.0.1:1") // explicit, wrong on purpose
	c.SetAddress("a", a.Addr())
	b2.SetAddress("c", c.Addr())
	if err := b2.Send("c", heartbeat("b", 4)); err != nil {
		t.Fatal(err)
	}
	recv(t, c, 5*time.Second)
	if addr, _, _ := c.resolve("b"); addr != "127.0.0.1:1" {
		t.Fatalf("explicit address replaced by %q", addr)
	}
}
