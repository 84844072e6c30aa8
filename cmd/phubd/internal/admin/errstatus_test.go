package admin

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/phub/phub/core"
)

// TestLimitRefusalsAre413 pins README's Limits promise for the admin API:
// every refusal by core.Limits answers HTTP 413 — a batch over MaxBatch
// too, with its own code.
func TestLimitRefusalsAre413(t *testing.T) {
	l := core.DefaultLimits()
	l.MaxBatch = 2
	specs := []core.ChildSpec{{ID: "a", Kind: "k"}, {ID: "b", Kind: "k"}, {ID: "c", Kind: "k"}}
	batchErr := l.CheckRequest(core.Request{Specs: specs})
	if batchErr == nil {
		t.Fatal("3 specs against MaxBatch 2 were accepted")
	}
	for _, c := range []struct {
		err  error
		code string
	}{
		{batchErr, "batch_too_large"},
		{fmt.Errorf("child %q: %w", "w", core.ErrLimitExceeded), "limit_exceeded"},
	} {
		status, code := errStatus(c.err)
		if status != http.StatusRequestEntityTooLarge || code != c.code {
			t.Errorf("%v: HTTP %d %s, want 413 %s", c.err, status, code, c.code)
		}
	}
}
