package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/phub/phub/core"
)

// parseCordon parses "cordon NODE TARGET" and "uncordon NODE TARGET": NODE
// sends the request, TARGET is cordoned (its children move away) or
// uncordoned. The request is awaited: the script blocks until its reply.
// The target may be any name: an unknown one is an error case to test.
func (p *parser) parseCordon(name string, toks []string) (func(*Runner) error, error) {
	a, node, err := p.nodeCommand(name, toks, nil, 2, 2, name+" NODE TARGET")
	if err != nil {
		return nil, err
	}
	target := core.NodeID(a.pos[1])
	op := core.OpCordon
	if name == "uncordon" {
		op = core.OpUncordon
	}
	return p.submit(node, core.Request{Op: op, Target: target}, true, 0), nil
}

// expectCordoned parses "expect cordoned NODE|all TARGET,...|none": the
// cordoned members in each node's view.
func (p *parser) expectCordoned(toks []string) (func(*Runner) error, error) {
	if len(toks) != 2 {
		return nil, fmt.Errorf("expect cordoned: want \"expect cordoned NODE|all NODE,...|none\"")
	}
	nodes, err := p.nodesOrAll(toks[0])
	if err != nil {
		return nil, err
	}
	var want []core.NodeID
	if toks[1] != "none" {
		for _, s := range strings.Split(toks[1], ",") {
			n, err := p.node(s)
			if err != nil {
				return nil, err
			}
			want = append(want, n)
		}
		slices.Sort(want)
	}
	return func(r *Runner) error {
		for _, n := range nodes(r) {
			if !r.sim.Up(n) {
				return fmt.Errorf("node %s is not up", n)
			}
			if got := r.sim.Node(n).Cordoned(); !slices.Equal(got, want) {
				return fmt.Errorf("%s: cordoned %v, want %v", n, got, want)
			}
		}
		return nil
	}, nil
}
