package config

import (
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// The strict partition mode's keys load into core's config, and every
// setting it cannot work with is refused with the key's name.
func TestStrictKeys(t *testing.T) {
	c, err := load(t, []string{"--name", "n1", "--partition", "strict", "--partition-voters", "n1,n2,n3",
		"--partition-lease", "3s", "--partition-lease-margin", "200ms", "--partition-max-drift", "0.02"})
	if err != nil {
		t.Fatal(err)
	}
	p := c.Core.Partition
	if p.Kind != core.Strict || len(p.Voters) != 3 || p.Voters[2] != "n3" || p.Lease != 3*time.Second || p.LeaseMargin != 200*time.Millisecond || p.MaxDrift != 0.02 {
		t.Fatalf("strict settings: %+v", p)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--partition", "strict"}, "partition_voters: required"},
		{[]string{"--partition", "strict", "--partition-voters", "a,b,a"}, `partition_voters: "a" is listed twice`},
		{[]string{"--partition", "strict", "--partition-voters", "a,b,c", "--replication-factor", "2"}, "replication_factor: partition strict"},
		{[]string{"--partition", "strict", "--partition-voters", "a,b,c", "--migration", "hot_swap"}, "migration: partition strict needs cold_swap"},
		{[]string{"--partition", "strict", "--partition-voters", "a,b,c", "--partition-max-drift", "0.5"}, "partition-max-drift"},
		{[]string{"--partition", "strict", "--partition-voters", "a,b,c", "--partition-lease", "-1s"}, "partition-lease: must be >= 0"},
		{[]string{"--partition", "majority_quorum", "--partition-voters", "a,b,c"}, "used by partition strict only"},
		{[]string{"--partition", "strict", "--partition-voters", "a,b,c", "--partition-lease", "10ms"}, "Partition.Lease"},
	} {
		_, err := load(t, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}
