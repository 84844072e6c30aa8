package ctl

import (
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/url"
	"time"
)

// cordonCmd is "cordon NODE" (on) and "uncordon NODE": POST
// /v1/nodes/{node}/cordon or /uncordon.
func cordonCmd(on bool) func(c *command) func([]string) error {
	return func(c *command) func([]string) error {
		return func(args []string) error {
			node, err := oneNode(args)
			if err != nil {
				return err
			}
			verb := "uncordon"
			if on {
				verb = "cordon"
			}
			var out adminapi.OpResponse
			if err := c.call("POST", "/v1/nodes/"+url.PathEscape(node)+"/"+verb, nil, &out); err != nil {
				return err
			}
			if !c.json {
				fmt.Fprintf(c.stdout, "%s: %sed\n", node, verb)
			}
			return nil
		}
	}
}

// drainCmd is "drain [--timeout D] NODE": cordon NODE, then poll the
// global which-children until NODE runs no child (guided children stay
// bound to their node, so a node holding any never drains: the command
// then fails at the timeout, naming what is left).
func drainCmd(c *command) func([]string) error {
	timeout := c.fs.Duration("timeout", time.Minute, "how long to wait for the children to move")
	interval := c.fs.Duration("interval", 500*time.Millisecond, "how often to look")
	return func(args []string) error {
		node, err := oneNode(args)
		if err != nil {
			return err
		}
		var op adminapi.OpResponse
		quiet := *c
		quiet.json = false // print one final answer, not every poll
		if err := quiet.call("POST", "/v1/nodes/"+url.PathEscape(node)+"/cordon", nil, &op); err != nil {
			return err
		}
		deadline := time.Now().Add(*timeout)
		for {
			var w adminapi.WhichResponse
			if err := quiet.call("GET", "/v1/which?scope=global", nil, &w); err != nil {
				return err
			}
			left, seen := 0, false
			for _, n := range w.Nodes {
				if string(n.Node) == node {
					seen, left = true, len(n.Children)
				}
			}
			if seen && left == 0 {
				if c.json {
					fmt.Fprintf(c.stdout, "{\"ok\": true, \"node\": %q, \"drained\": true}\n", node)
				} else {
					fmt.Fprintf(c.stdout, "%s: cordoned and drained\n", node)
				}
				return nil
			}
			if time.Now().After(deadline) {
				if !seen {
					return fmt.Errorf("%s did not answer within %s (cordoned)", node, *timeout)
				}
				return fmt.Errorf("%s still runs %d children after %s (cordoned; guided children never move)", node, left, *timeout)
			}
			time.Sleep(*interval)
		}
	}
}

func oneNode(args []string) (string, error) {
	if len(args) != 1 || args[0] == "" {
		return "", usageError{"want exactly one node name"}
	}
	return args[0], nil
}
