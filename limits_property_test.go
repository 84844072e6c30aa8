package phub_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// propertyLimits is a limits table small enough that a few children fill
// several messages, so the property below also crosses message splitting.
func propertyLimits(c *core.Config) {
	l := &c.Limits
	l.MaxChildIDBytes, l.MaxKindBytes, l.MaxParams, l.MaxParamBytes, l.MaxSpecBytes = 64, 32, 4, 512, 1024
	l.MaxMetadataEntries, l.MaxMetadataBytes, l.MaxPinnedNodes = 4, 256, 1
	l.MaxBatch, l.MaxRequestBytes, l.MaxMessageBytes = 40, 32<<10, 5<<10
}

// TestAcceptedReplicatesEverywhereRefusedRegistersNothing is the limits
// property (issue 9): starts with sizes drawn up to and beyond every limit
// of the table, through the Go API of a random node of a 3-node cluster
// whose messages go through the real binary codec and the frame limit
// derived from the table (transport.FrameBytesFor). Accepted implies every
// node's registry holds each child with its exact params and metadata;
// refused implies an error wrapping ErrLimitExceeded that names the limit,
// and no node registers any of the children.
func TestAcceptedReplicatesEverywhereRefusedRegistersNothing(t *testing.T) {
	c := newCluster(t, 3, propertyLimits)
	var l core.Limits
	{
		cfg := core.DefaultConfig("x")
		propertyLimits(&cfg)
		l = cfg.Limits
	}
	c.net.SetMaxFrameBytes(transport.FrameBytesFor(l)) // frames as a phubd node with these limits
	iter := 0
	accepted, refused := 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		iter++
		// Half the requests stay within the limits (sizes up to each
		// limit), half reach a little beyond them.
		beyond := 0
		if rapid.Bool().Draw(rt, "beyond") {
			beyond = 2
		}
		over := func(limit int, label string) int { return rapid.IntRange(0, limit+beyond).Draw(rt, label) }
		n := rapid.IntRange(1, l.MaxBatch+1).Draw(rt, "children")
		var specs []core.ChildSpec
		for i := 0; i < n; i++ {
			prefix := fmt.Sprintf("p%d-%d-", iter, i)
			id := prefix + strings.Repeat("i", max(0, over(l.MaxChildIDBytes, "idBytes")-len(prefix)))
			params := map[string]string{}
			for k, np := 0, over(l.MaxParams, "params"); k < np; k++ {
				params[fmt.Sprint("k", k)] = strings.Repeat("v", over(l.MaxParamBytes-2, "paramBytes"))
			}
			specs = append(specs, core.ChildSpec{ID: core.ChildID(id), Kind: "noop", Params: params})
		}
		meta := core.Metadata{"tag": strings.Repeat("t", over(l.MaxMetadataBytes-3, "tagBytes"))}
		from := c.names[rapid.IntRange(0, len(c.names)-1).Draw(rt, "node")]
		want := l.CheckRequest(core.Request{Op: core.OpStart, Specs: specs, Start: core.StartOptions{Metadata: meta}})
		_, err := c.hub(from).StartChildren(ctxT(t, 20*time.Second), specs, phub.Await(), phub.Timeout(15*time.Second), phub.WithMetadata(meta))
		if want != nil {
			refused++
			if !errors.Is(err, phub.ErrLimitExceeded) || !strings.Contains(err.Error(), "(Limits.") {
				rt.Fatalf("over a limit (%v): got %v, want ErrLimitExceeded naming the limit", want, err)
			}
			for _, name := range c.names {
				for _, s := range specs {
					if _, lerr := c.hub(name).Lookup(ctxT(t, 5*time.Second), s.ID, core.Local); !errors.Is(lerr, phub.ErrNotFound) {
						rt.Fatalf("refused child %s is registered on %s (%v)", s.ID, name, lerr)
					}
				}
			}
			return
		}
		accepted++
		if err != nil {
			rt.Fatalf("within every limit: %v", err)
		}
		waitFor(t, 60*time.Second, "every node's registry holds every accepted child", func() bool {
			for _, name := range c.names {
				for _, s := range specs {
					e, lerr := c.hub(name).Lookup(ctxT(t, 5*time.Second), s.ID, core.Local)
					if lerr != nil || len(e.Spec.Params) != len(s.Params) || e.Metadata["tag"] != meta["tag"] {
						return false
					}
					for k, v := range s.Params {
						if e.Spec.Params[k] != v {
							return false
						}
					}
				}
			}
			return true
		})
	})
	if accepted == 0 || refused == 0 {
		t.Fatalf("the draws never reached both sides of the limits: %d accepted, %d refused", accepted, refused)
	}
	t.Logf("%d accepted, %d refused", accepted, refused)
	for _, name := range c.names {
		if u := c.hub(name).UnsendableMessages(); u != 0 {
			t.Fatalf("%s: %d unsendable messages", name, u)
		}
	}
}
