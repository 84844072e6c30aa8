package core

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestIntKeysAcceptWhatValidateAccepts: each integer config key outside
// Limits (those have TestLimitKeysAcceptWhatValidateAccepts) accepts
// every small value Config.Validate accepts for its field, under the
// strategy that reads the field — a config file never fails on a valid
// value such as one peer per gossip round.
func TestIntKeysAcceptWhatValidateAccepts(t *testing.T) {
	fields := map[string]struct {
		field func(*Config) *int
		base  func(*Config)
	}{
		"virtual_nodes":     {func(c *Config) *int { return &c.Distribution.VirtualNodes }, nil},
		"sync_fanout":       {func(c *Config) *int { return &c.Sync.FanOut }, func(c *Config) { c.Sync.Kind = Gossip }},
		"partition_quorum":  {func(c *Config) *int { return &c.Partition.QuorumSize }, func(c *Config) { c.Partition.Kind = StaticQuorum }},
		"partition_initial": {func(c *Config) *int { return &c.Partition.InitialClusterSize }, func(c *Config) { c.Partition.Kind = MajorityQuorum }},
		"indirect_probes":   {func(c *Config) *int { return &c.Membership.IndirectProbes }, func(c *Config) { c.Membership.Detector = Swim }},
		"restart_max":       {func(c *Config) *int { return &c.Restart.MaxRestarts }, nil},
	}
	lt := reflect.TypeOf(Limits{})
	for _, k := range ConfigKeys() {
		if k.Kind != ValueInt {
			continue
		}
		norm := strings.ReplaceAll(k.Name, "_", "")
		if _, isLimit := lt.FieldByNameFunc(func(f string) bool { return strings.EqualFold(f, norm) }); isLimit || k.Name == "max_pending" {
			continue
		}
		f, ok := fields[k.Name]
		if !ok {
			t.Errorf("integer key %s: not covered by this test (add its field)", k.Name)
			continue
		}
		accepted := 0
		for v := -1; v <= 3; v++ {
			base := func() Config {
				c := DefaultConfig("n1")
				if f.base != nil {
					f.base(&c)
				}
				return c
			}
			direct := base()
			*f.field(&direct) = v
			valid := direct.Validate() == nil
			viaKey := base()
			err := k.Set(&viaKey, strconv.Itoa(v))
			if valid && err != nil {
				t.Errorf("%s=%d: the key refuses a value Config.Validate accepts: %v", k.Name, v, err)
			}
			if err == nil && *f.field(&viaKey) != v {
				t.Errorf("%s=%d: the key set the field to %d", k.Name, v, *f.field(&viaKey))
			}
			if valid {
				accepted++
			}
		}
		if accepted == 0 {
			t.Errorf("%s: Validate accepts none of -1..3 under this test's strategy (wrong base?)", k.Name)
		}
	}
}
