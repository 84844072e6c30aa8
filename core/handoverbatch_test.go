package core

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHandoverBatchDeliveredAndAckedTogether: a MsgHandover naming three
// children is handled as three one-child handovers (each state delivered
// to its instance) and acknowledged in one MsgHandoverAck naming the
// three; the same batch again (a retransmission) delivers nothing and is
// acknowledged again, in one message.
func TestHandoverBatchDeliveredAndAckedTogether(t *testing.T) {
	c := newLockstep(t, 3, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Migration = MigrationConfig{Kind: HotSwap, Retention: time.Second, Handover: true}
	})
	var items []HandoverItem
	for i, p := range []string{"a", "b", "d"} {
		id := c.ownedBy("n3", p)
		rep := c.request("n3", Request{ID: uint64(i + 1), Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
		if len(rep.Results) != 1 || rep.Results[0].Err != "" {
			t.Fatalf("start %s: %+v", id, rep)
		}
		items = append(items, HandoverItem{ID: id, Epoch: 1, Instance: uint64(10 + i), State: []byte("state of " + p)})
	}
	n3 := c.nodes["n3"]
	n3.Ready()
	batch := Message{Kind: MsgHandover, Hub: n3.cfg.HubID, From: "n1", Inc: 1, Handovers: items}
	for round, wantDelivered := range []int{3, 0} {
		n3.Step(c.now, batch)
		rd := n3.Ready()
		delivered := 0
		for _, e := range rd.Effects {
			if e.Kind != EffectDeliverHandover {
				continue
			}
			i := slices.IndexFunc(items, func(it HandoverItem) bool { return it.ID == e.ID })
			if i < 0 || string(e.State) != string(items[i].State) {
				t.Fatalf("round %d: delivered %q to %s", round, e.State, e.ID)
			}
			delivered++
		}
		if delivered != wantDelivered {
			t.Fatalf("round %d: %d states delivered, want %d", round, delivered, wantDelivered)
		}
		var acks []Message
		for _, env := range rd.Messages {
			if env.Msg.Kind == MsgHandoverAck {
				if env.To != "n1" {
					t.Fatalf("round %d: ack to %s, want n1", round, env.To)
				}
				acks = append(acks, env.Msg)
			}
		}
		if len(acks) != 1 || len(acks[0].Handovers) != 3 {
			t.Fatalf("round %d: acks %+v, want one naming the 3 handovers", round, acks)
		}
		for i, a := range acks[0].Handovers {
			if a.ID != items[i].ID || a.Epoch != 1 || a.Instance != items[i].Instance || a.State != nil {
				t.Fatalf("round %d: ack item %+v for handover %+v", round, a, items[i])
			}
		}
	}
}

// TestHandoverBatchSendsLargeStatesAlone: handovers queued for one
// receiver go in one message, except a state larger than a quarter of
// Limits.MaxMessageBytes, which goes alone in the one-child form (split
// in parts if it must be), so a batch never holds an item larger than a
// part; one queued handover goes in the one-child form too.
func TestHandoverBatchSendsLargeStatesAlone(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	n1 := c.nodes["n1"]
	n1.Ready()
	large := []byte(strings.Repeat("s", n1.cfg.Limits.maxBatchedStateBytes()+1))
	n1.queueHandover("n2", HandoverItem{ID: "a", Epoch: 1, Instance: 1, State: []byte("sa")})
	n1.queueHandover("n2", HandoverItem{ID: "big", Epoch: 1, Instance: 2, State: large})
	n1.queueHandover("n2", HandoverItem{ID: "b", Epoch: 2, Instance: 3, State: []byte("sb"), Shutdown: true})
	n1.queueHandover("n3", HandoverItem{ID: "c", Epoch: 1, Instance: 4, State: []byte("sc")})
	var got []string
	for _, env := range n1.Ready().Messages {
		m := env.Msg
		if m.Kind != MsgHandover {
			continue
		}
		switch {
		case len(m.Handovers) > 0:
			var ids []string
			for _, it := range m.Handovers {
				ids = append(ids, string(it.ID))
			}
			got = append(got, string(env.To)+" batch "+strings.Join(ids, ","))
		default:
			got = append(got, string(env.To)+" one "+string(m.IDs[0]))
			if m.IDs[0] == "big" && string(m.State) != string(large) {
				t.Errorf("the large state went out with %d bytes, want %d", len(m.State), len(large))
			}
		}
	}
	want := []string{"n2 one big", "n2 batch a,b", "n3 one c"}
	if !slices.Equal(got, want) {
		t.Fatalf("handovers sent %q, want %q", got, want)
	}
}

// TestValidateRejectsMisplacedHandovers: a batch travels only in a
// handover or its acknowledgement, and never beside the one-child form
// (IDs): a peer message that mixes them would lose one of the two, so it
// is refused with an error naming the mix.
func TestValidateRejectsMisplacedHandovers(t *testing.T) {
	items := []HandoverItem{{ID: "c1", Epoch: 1, Instance: 2, State: []byte("s")}, {ID: "c2", Epoch: 1, Instance: 3}}
	for _, ok := range []Message{
		{Kind: MsgHandover, From: "n1", Handovers: items},
		{Kind: MsgHandoverAck, From: "n1", Handovers: items},
		{Kind: MsgHandover, From: "n1", IDs: []ChildID{"c1"}, State: []byte("s")},
	} {
		if err := ok.Validate(100); err != nil {
			t.Errorf("%s with %d handovers, %d ids: refused: %v", ok.Kind, len(ok.Handovers), len(ok.IDs), err)
		}
	}
	for _, bad := range []struct {
		m    Message
		want string
	}{
		{Message{Kind: MsgReplicate, From: "n1", Handovers: items}, "no handover"},
		{Message{Kind: MsgHeartbeat, From: "n1", Handovers: items[:1]}, "no handover"},
		{Message{Kind: MsgHandover, From: "n1", IDs: []ChildID{"c3"}, Handovers: items}, "both one child"},
		{Message{Kind: MsgHandoverAck, From: "n1", IDs: []ChildID{"c3"}, Handovers: items}, "both one child"},
	} {
		err := bad.m.Validate(100)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s with %d handovers, %d ids: %v, want an error saying %q", bad.m.Kind, len(bad.m.Handovers), len(bad.m.IDs), err, bad.want)
		}
	}
}
