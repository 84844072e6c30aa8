package phub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// TestAwaitedReplyMeansEveryIndexAgrees: when an awaited start or stop
// returns, every node that acknowledged it already shows it to local
// lookups — the hub sends an answer (replicate ack, result) only after it
// applied the batch to its index, even though it sends requests and
// replication rounds before (earlyMessages). Each node's loop pauses
// 20 ms before the index update of a Ready that answers a peer, which
// widens the window such an answer would otherwise slip through: the
// test fails when the hub sends a Ready's acks before its index work.
func TestAwaitedReplyMeansEveryIndexAgrees(t *testing.T) {
	net := transport.NewInmemNetwork()
	hubs := []*Hub{newTestHub(t, net, "a")}
	hubs = append(hubs, newTestHub(t, net, "b", "a"), newTestHub(t, net, "c", "a"))
	deadline := time.Now().Add(30 * time.Second)
	for _, h := range hubs {
		for len(h.Alive()) != len(hubs) {
			if time.Now().After(deadline) {
				t.Fatalf("%s sees %v alive", h.Name(), h.Alive())
			}
			time.Sleep(time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, h := range hubs {
		if err := h.call(ctx, func() { h.beforeApply = pauseBeforeAnswers }); err != nil {
			t.Fatal(err)
		}
	}
	// Children a owns, started and stopped through a: the reply waits
	// for b's and c's acknowledgements alone.
	const n = 30
	var sp []core.ChildSpec
	var ids []core.ChildID
	for i := 0; len(ids) < n; i++ {
		id := core.ChildID(fmt.Sprintf("ryw-%d", i))
		place, err := hubs[0].Placement(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(place) > 0 && place[0] == "a" {
			ids = append(ids, id)
			sp = append(sp, core.ChildSpec{ID: id, Kind: "noop"})
		}
	}
	check := func(what string, want int) {
		t.Helper()
		for _, h := range hubs {
			if got := h.Count(); got != want {
				t.Errorf("%s returned while %s's index holds %d entries, want %d", what, h.Name(), got, want)
			}
		}
	}
	if res, err := hubs[0].StartChildren(ctx, sp, Await()); err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}
	check("an awaited start", n)
	if res, err := hubs[0].StopChildren(ctx, ids, Await()); err != nil || !res.OK() {
		t.Fatalf("stop: %v %v", err, res.Errors())
	}
	check("an awaited stop", 0)
}

// pauseBeforeAnswers pauses 20 ms if a Ready's msgs answer a peer. The
// pause widens a race window; it synchronizes nothing.
func pauseBeforeAnswers(msgs []core.Envelope) {
	for _, e := range msgs {
		if e.Msg.Kind == core.MsgReplicateAck || e.Msg.Kind == core.MsgResult {
			time.Sleep(20 * time.Millisecond)
			return
		}
	}
}
