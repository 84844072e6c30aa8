package kinds

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/phub/phub"
)

// ChildEnvVars lists the variables the exec kind sets for every child.
// A spec cannot set them (env.NAME) and a node cannot pass its own through.
var ChildEnvVars = []string{"PHUB_CHILD_ID", "PHUB_EPOCH", "PHUB_FENCE", "PHUB_INSTANCE", "PHUB_NODE", "PHUB_LEASE_FILE"}

// isChildEnvVar reports whether name is one of ChildEnvVars.
func isChildEnvVar(name string) bool {
	for _, v := range ChildEnvVars {
		if v == name {
			return true
		}
	}
	return false
}

// CheckEnvName returns an error unless name can be set in a child's
// environment: not empty, no '=' or NUL, and not one of ChildEnvVars.
func CheckEnvName(name string) error {
	if name == "" || strings.ContainsAny(name, "=\x00") {
		return fmt.Errorf("environment variable name %q: want a non-empty name without '=' or NUL", name)
	}
	if isChildEnvVar(name) {
		return fmt.Errorf("environment variable %s is set by phub for every child", name)
	}
	return nil
}

// childEnviron builds an exec child's environment: the node's environment
// without any PHUB_* variable (the cluster secret, the admin token and
// every other phubd setting) unless pass names it, then the spec's
// variables, then the child's own identity and fencing variables.
func childEnviron(nodeEnv []string, pass map[string]bool, spec []string, env phub.ChildEnv) []string {
	out := make([]string, 0, len(nodeEnv)+len(spec)+len(ChildEnvVars))
	for _, kv := range nodeEnv {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PHUB_") && !pass[name] {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, spec...)
	return append(out,
		"PHUB_CHILD_ID="+string(env.ID()),
		"PHUB_EPOCH="+strconv.FormatUint(env.Epoch(), 10),
		"PHUB_FENCE="+env.Fence().String(),
		"PHUB_INSTANCE="+strconv.FormatUint(env.Instance(), 10),
		"PHUB_NODE="+string(env.Node()),
	)
}
