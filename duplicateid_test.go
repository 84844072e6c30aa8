package phub_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// TestDuplicateIDInOneCallStartsTheFirst is README's Semantics row for
// StartChildren: "A duplicate id in one call: the first starts, the
// second gets ErrAlreadyStarted (detail "duplicate child id in one
// call")". The other children of the call start as usual, and the child
// runs once. (The admin API refuses such a request as a whole instead:
// 400, cmd/phubd/internal/admin TestBadInput.)
func TestDuplicateIDInOneCallStartsTheFirst(t *testing.T) {
	c := newCluster(t, 3, steadyTiming)
	a := c.hub("a")
	ctx := ctxT(t, 2*time.Minute) // bounds a hang; no call here is about time
	specs := []core.ChildSpec{{ID: "d1", Kind: "noop"}, {ID: "d2", Kind: "noop"}, {ID: "d1", Kind: "noop"}}
	res, err := a.StartChildren(ctx, specs, phub.Await())
	if len(res.Results) != 3 {
		t.Fatalf("start with a duplicate id: %v, %d results, want 3", err, len(res.Results))
	}
	for i, want := range []core.ChildID{"d1", "d2", "d1"} {
		if res.Results[i].ID != want {
			t.Fatalf("result %d is for %s, want %s (request order)", i, res.Results[i].ID, want)
		}
	}
	if e := res.Results[0].Err; e != nil || len(res.Results[0].Nodes) == 0 || res.Results[0].Epoch == 0 {
		t.Errorf("first d1: err %v, nodes %v, epoch %d; want started", e, res.Results[0].Nodes, res.Results[0].Epoch)
	}
	if e := res.Results[1].Err; e != nil {
		t.Errorf("d2 beside the duplicate: %v, want started", e)
	}
	dup := res.Results[2].Err
	if !errors.Is(dup, phub.ErrAlreadyStarted) || !strings.Contains(dup.Error(), "duplicate child id in one call") {
		t.Errorf("second d1: %v, want ErrAlreadyStarted with detail %q", dup, "duplicate child id in one call")
	}
	// The call itself succeeds (its request-level ErrAlreadyStarted is
	// for ids registered before the call, api.go); its results say a
	// child failed.
	if err != nil || res.OK() {
		t.Errorf("the call: err %v, OK %v; want no request-level error and OK false", err, res.OK())
	}
	e, lerr := a.Lookup(ctx, "d1", core.Owner)
	if lerr != nil || len(e.Replicas) != 1 || e.Epoch != res.Results[0].Epoch {
		t.Errorf("owner lookup of d1: %+v %v, want one replica at epoch %d", e, lerr, res.Results[0].Epoch)
	}
}
