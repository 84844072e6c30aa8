package core

import (
	"testing"
	"time"
)

// TestHotSwapAskSaysWhetherItIsARenewal: an EffectRequestHandover says
// whether it is a renewal's (Effect.Renewal: renewWithState), so a
// driver (the simulator's checks.SwapStop.Renewal) need not guess. The
// simulator guessed from the epochs (the instance's below its registry
// entry's at the ask), which an ordinary hot swap's ask meets too: the
// takeover raised the epoch before the old holder asks. Over phubd sim
// --class all --seeds 150 the guess flagged 6707 of 11259 asks, of which
// 687 were renewals.
func TestHotSwapAskSaysWhetherItIsARenewal(t *testing.T) {
	c, id, n1, l := hotSwapChildOn(t, 2, "n1", "f", 5*time.Second)
	ask := func() *Effect {
		for i, e := range c.effects["n1"] {
			if e.Kind == EffectRequestHandover && e.ID == id && e.Instance == l.instance {
				return &c.effects["n1"][i]
			}
		}
		return nil
	}

	// A renewal's ask says so.
	c.effects["n1"] = nil
	n1.renewWithState(l)
	c.pump()
	if e := ask(); e == nil || !e.Renewal {
		t.Fatalf("a renewal's ask: %+v, want Renewal", e)
	}
	// Its state never comes: it is no longer a renewal once the child
	// moves on; drop it (as onHandoverState does) to start over.
	n1.dropHandover(l)

	// An ordinary hot swap's ask (n1 cordoned, n2 takes the child over)
	// does not, although its epoch is below the entry's by then.
	c.effects["n1"] = nil
	c.request("n1", Request{ID: 2, Op: OpCordon, Target: "n1"})
	c.until(func() bool { return ask() != nil }, 10*time.Second, "n1 asks its instance for the state to hand to n2")
	e := ask()
	if e.Renewal {
		t.Fatalf("a hot swap's ask says Renewal: %+v", e)
	}
	if ent, ok := n1.reg.active(id); !ok || ent.Epoch <= e.Epoch {
		t.Fatalf("the entry's epoch (%+v) is not above the asked instance's %d: the test does not show the epoch guess misfiring", ent, e.Epoch)
	}
}
