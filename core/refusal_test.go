package core

import "testing"

// TestOwnerRefusalIsRemembered: an owner that refused a routed request
// with "partitioned" answers every retransmission of it the same way,
// even after it regained quorum. The origin retransmits while the refusal
// is still on its way (after a heal the owner's outbound connection is
// redialled, so its answer can arrive after the origin's next
// retransmission); executing that retransmission would apply a request
// whose client is then told "partitioned", a definite refusal. Netfault's
// 90 s run caught exactly that (c16, README): a stop answered "503
// partitioned" that had stopped the child.
func TestOwnerRefusalIsRemembered(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	id := c.ownedBy("n2", "r")
	if rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}); rep.Err != nil || rep.Results[0].Err != "" {
		t.Fatalf("start: %+v", rep)
	}
	owner := c.nodes["n2"]
	stop := Message{Kind: MsgRequest, Hub: owner.cfg.HubID, From: "n1", Inc: 1, Seq: 901, Op: OpStop,
		Origin: "n1", OriginInc: 1, ToInc: 1, IDs: []ChildID{id}}
	answers := func() (codes []ErrCode, stopped bool) {
		rd := owner.Ready()
		for _, env := range rd.Messages {
			if env.Msg.Kind == MsgResult && env.Msg.Seq == stop.Seq {
				for _, r := range env.Msg.Results {
					codes = append(codes, r.Err)
				}
			}
		}
		for _, e := range rd.Effects {
			stopped = stopped || e.Kind == EffectStop && e.ID == id
		}
		return codes, stopped
	}

	owner.quorum.partitioned = true // the owner is cut off from a majority
	owner.Step(c.now, stop)
	if codes, _ := answers(); len(codes) != 1 || codes[0] != Code(ErrPartitioned) {
		t.Fatalf("a partitioned owner answered %v, want [partitioned]", codes)
	}
	owner.quorum.partitioned = false // the heal: quorum is back
	owner.Step(c.now, stop)          // the origin's retransmission
	codes, stopped := answers()
	if stopped {
		t.Fatal("the owner applied a retransmission of a request it had refused with \"partitioned\"")
	}
	if len(codes) != 1 || codes[0] != Code(ErrPartitioned) {
		t.Fatalf("the retransmission was answered %v, want the same refusal [partitioned]", codes)
	}
	if e, ok := owner.reg.active(id); !ok || e.Stopped {
		t.Fatalf("child %s: entry %+v active=%v, want it still registered", id, e, ok)
	}
}
