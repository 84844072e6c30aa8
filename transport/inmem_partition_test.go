package transport

import (
	"testing"

	"github.com/phub/phub/core"
)

// Partition delivers only within a group (unnamed nodes form one group);
// Heal restores delivery.
func TestInmemPartition(t *testing.T) {
	net := NewInmemNetwork()
	eps := map[core.NodeID]Transport{}
	for _, name := range []core.NodeID{"a", "b", "c", "d"} {
		eps[name] = net.Endpoint(name)
		defer eps[name].Close()
	}
	delivered := func(from, to core.NodeID) bool {
		if err := eps[from].Send(to, core.Message{Kind: core.MsgHeartbeat, From: from}); err != nil {
			t.Fatalf("send %s->%s: %v", from, to, err)
		}
		select {
		case in := <-eps[to].Inbox():
			return in.From == from
		default:
			return false
		}
	}
	net.Partition([]core.NodeID{"a", "b"}, []core.NodeID{"c"})
	for _, c := range []struct {
		from, to core.NodeID
		want     bool
	}{{"a", "b", true}, {"b", "a", true}, {"a", "c", false}, {"c", "b", false}, {"c", "d", false}, {"d", "a", false}} {
		if got := delivered(c.from, c.to); got != c.want {
			t.Errorf("partitioned %s->%s: delivered %v, want %v", c.from, c.to, got, c.want)
		}
	}
	net.Heal()
	for _, pair := range [][2]core.NodeID{{"a", "c"}, {"c", "d"}, {"d", "b"}} {
		if !delivered(pair[0], pair[1]) {
			t.Errorf("healed %s->%s: not delivered", pair[0], pair[1])
		}
	}
}
