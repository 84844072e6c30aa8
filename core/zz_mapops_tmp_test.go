package core

import (
	"os"
	"testing"
)

func TestZZMapOps(t *testing.T) {
	const n = 1000
	c := newBenchCluster(t, 3)
	specs := benchSpecs("c", n)
	if os.Getenv("ZZNONE") != "" {
		return
	}
	c.nodes["n1"].Request(c.now, Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
	c.pump()
	if os.Getenv("ZZSTOP") == "" {
		return
	}
	ids := make([]ChildID, n)
	for j, s := range specs {
		ids[j] = s.ID
	}
	c.replies = nil
	c.nodes["n1"].Request(c.now, Request{ID: 2, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}})
	c.pump()
	if len(c.replies) != 1 || c.replies[0].Err != nil {
		t.Fatalf("replies %+v", c.replies)
	}
}
