package core

import (
	"strings"
	"testing"
)

// TestValidateBoundaries: every numeric limit of Config.Validate accepts
// its smallest (or largest) valid value and rejects the next one, naming
// the field.
func TestValidateBoundaries(t *testing.T) {
	cases := []struct {
		name  string
		set   func(*Config)
		field string // "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"no name", func(c *Config) { c.Name = "" }, "Name"},
		{"no hub", func(c *Config) { c.HubID = "" }, "HubID"},
		{"vnodes 1", func(c *Config) { c.Distribution.VirtualNodes = 1 }, ""},
		{"vnodes 0", func(c *Config) { c.Distribution.VirtualNodes = 0 }, "Distribution.VirtualNodes"},
		{"vnodes 4096", func(c *Config) { c.Distribution.VirtualNodes = 4096 }, ""},
		{"vnodes 4097", func(c *Config) { c.Distribution.VirtualNodes = 4097 }, "Distribution.VirtualNodes"},
		{"factor 1", func(c *Config) { c.Redundancy.Factor = 1 }, ""},
		{"factor 0", func(c *Config) { c.Redundancy.Factor = 0 }, "Redundancy.Factor"},
		{"factor cluster size", func(c *Config) { c.Redundancy.Factor = ClusterSize }, ""},
		{"factor below cluster size", func(c *Config) { c.Redundancy.Factor = ClusterSize - 1 }, "Redundancy.Factor"},
		{"retention 1ns", func(c *Config) { c.Migration.Retention = 1 }, ""},
		{"retention 0", func(c *Config) { c.Migration.Retention = 0 }, "Migration.Retention"},
		{"sync interval 1ns", func(c *Config) { c.Sync.Interval = 1 }, ""},
		{"sync interval 0", func(c *Config) { c.Sync.Interval = 0 }, "Sync.Interval"},
		{"fan-out 1", func(c *Config) { c.Sync.FanOut = 1 }, ""},
		{"fan-out 0", func(c *Config) { c.Sync.FanOut = 0 }, "Sync.FanOut"},
		{"static quorum 1", func(c *Config) { c.Partition = PartitionConfig{Kind: StaticQuorum, QuorumSize: 1} }, ""},
		{"static quorum 0", func(c *Config) { c.Partition = PartitionConfig{Kind: StaticQuorum} }, "Partition.QuorumSize"},
		{"dynamic quorum 1%", func(c *Config) { c.Partition = PartitionConfig{Kind: DynamicQuorum, QuorumSize: 1, Window: 1} }, ""},
		{"dynamic quorum 0%", func(c *Config) { c.Partition = PartitionConfig{Kind: DynamicQuorum, Window: 1} }, "Partition.QuorumSize"},
		{"dynamic quorum 100%", func(c *Config) { c.Partition = PartitionConfig{Kind: DynamicQuorum, QuorumSize: 100, Window: 1} }, ""},
		{"dynamic quorum 101%", func(c *Config) { c.Partition = PartitionConfig{Kind: DynamicQuorum, QuorumSize: 101, Window: 1} }, "Partition.QuorumSize"},
		{"dynamic window 0", func(c *Config) { c.Partition = PartitionConfig{Kind: DynamicQuorum, QuorumSize: 50} }, "Partition.Window"},
		{"majority initial 1", func(c *Config) { c.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 1} }, ""},
		{"majority initial 0", func(c *Config) { c.Partition = PartitionConfig{Kind: MajorityQuorum} }, "Partition.InitialClusterSize"},
		{"max restarts 0", func(c *Config) { c.Restart.MaxRestarts = 0 }, ""},
		{"max restarts -1", func(c *Config) { c.Restart.MaxRestarts = -1 }, "Restart"},
		{"restart window 1ns", func(c *Config) { c.Restart.Window = 1 }, ""},
		{"restart window 0", func(c *Config) { c.Restart.Window = 0 }, "Restart"},
		{"tick 1ns", func(c *Config) { c.Timing.TickInterval = 1 }, ""},
		{"tick 0", func(c *Config) { c.Timing.TickInterval = 0 }, "Timing"},
		{"heartbeat 1ns", func(c *Config) { c.Timing.HeartbeatInterval = 1 }, ""},
		{"heartbeat 0", func(c *Config) { c.Timing.HeartbeatInterval = 0 }, "Timing"},
		{"retry 1ns", func(c *Config) { c.Timing.RetryInterval = 1 }, ""},
		{"retry 0", func(c *Config) { c.Timing.RetryInterval = 0 }, "Timing"},
		{"down after heartbeat+1ns", func(c *Config) { c.Timing.DownAfter = c.Timing.HeartbeatInterval + 1 }, ""},
		{"down after = heartbeat", func(c *Config) { c.Timing.DownAfter = c.Timing.HeartbeatInterval }, "Timing.DownAfter"},
		{"request timeout 1ns", func(c *Config) { c.Timing.RequestTimeout = 1 }, ""},
		{"request timeout 0", func(c *Config) { c.Timing.RequestTimeout = 0 }, "Timing"},
		{"tombstone ttl 1ns", func(c *Config) { c.Timing.TombstoneTTL = 1 }, ""},
		{"tombstone ttl 0", func(c *Config) { c.Timing.TombstoneTTL = 0 }, "Timing"},
		{"forget 1ns", func(c *Config) { c.Timing.ForgetDownAfter = 1 }, ""},
		{"forget 0", func(c *Config) { c.Timing.ForgetDownAfter = 0 }, "Timing"},
		{"pending 1", func(c *Config) { c.Limits.MaxPendingRequests = 1 }, ""},
		{"pending 0", func(c *Config) { c.Limits.MaxPendingRequests = 0 }, "Limits.MaxPendingRequests"},
		{"batch 1", func(c *Config) { c.Limits.MaxBatch = 1 }, ""},
		{"batch 0", func(c *Config) { c.Limits.MaxBatch = 0 }, "Limits.MaxBatch"},
		{"guided", func(c *Config) { c.Distribution.Kind = Guided }, ""},
		{"active/passive", func(c *Config) { c.Redundancy.Mode = ActivePassive }, ""},
		{"signal active", func(c *Config) { c.Redundancy.Signal = SignalActive }, ""},
		{"signal passive", func(c *Config) { c.Redundancy.Signal = SignalPassive }, ""},
		{"signal all", func(c *Config) { c.Redundancy.Signal = SignalAll }, ""},
		{"hot swap", func(c *Config) { c.Migration.Kind = HotSwap }, ""},
		{"gossip", func(c *Config) { c.Sync.Kind = Gossip }, ""},
		{"unknown distribution", func(c *Config) { c.Distribution.Kind = "x" }, "Distribution.Kind"},
		{"unknown mode", func(c *Config) { c.Redundancy.Mode = "x" }, "Redundancy.Mode"},
		{"unknown signal", func(c *Config) { c.Redundancy.Signal = "x" }, "Redundancy.Signal"},
		{"unknown migration", func(c *Config) { c.Migration.Kind = "x" }, "Migration.Kind"},
		{"unknown sync", func(c *Config) { c.Sync.Kind = "x" }, "Sync.Kind"},
		{"unknown partition", func(c *Config) { c.Partition.Kind = "x" }, "Partition.Kind"},
	}
	for _, tc := range cases {
		cfg := DefaultConfig("n1")
		tc.set(&cfg)
		err := cfg.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: rejected: %v", tc.name, err)
		case tc.field != "" && err == nil:
			t.Errorf("%s: accepted, want an error naming %s", tc.name, tc.field)
		case tc.field != "" && !strings.HasPrefix(err.Error(), "config: "+tc.field+":"):
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.field)
		}
	}
}

// TestLimitsValidateRanges: each limit accepts the ends of its range and
// rejects one past either end, naming the field. (The ends are checked
// with MaxMessageBytes at its maximum, so the one-entry-fits-a-message
// relation does not interfere, except for MaxSpecBytes, whose largest
// value needs more than that.)
func TestLimitsValidateRanges(t *testing.T) {
	ranges := []struct {
		field  string
		set    func(*Limits, int)
		lo, hi int
	}{
		{"MaxPendingRequests", func(l *Limits, v int) { l.MaxPendingRequests = v }, 1, 1 << 30},
		{"MaxBatch", func(l *Limits, v int) { l.MaxBatch = v }, 1, 1 << 24},
		{"MaxChildIDBytes", func(l *Limits, v int) { l.MaxChildIDBytes = v }, 1, MaxChildIDBytes},
		{"MaxKindBytes", func(l *Limits, v int) { l.MaxKindBytes = v }, 1, MaxStringBytes},
		{"MaxParams", func(l *Limits, v int) { l.MaxParams = v }, 0, 1 << 16},
		{"MaxParamBytes", func(l *Limits, v int) { l.MaxParamBytes = v }, 1, MaxStringBytes},
		{"MaxSpecBytes", func(l *Limits, v int) { l.MaxSpecBytes = v }, 0, 1 << 30},
		{"MaxMetadataEntries", func(l *Limits, v int) { l.MaxMetadataEntries = v }, 0, 1 << 16},
		{"MaxMetadataBytes", func(l *Limits, v int) { l.MaxMetadataBytes = v }, 0, MaxStringBytes},
		{"MaxPinnedNodes", func(l *Limits, v int) { l.MaxPinnedNodes = v }, 1, 1 << 12},
		{"MaxRequestBytes", func(l *Limits, v int) { l.MaxRequestBytes = v }, 1, 1 << 31},
		{"MaxMessageBytes", func(l *Limits, v int) { l.MaxMessageBytes = v }, 1, 1 << 30},
	}
	check := func(field string, v int, set func(*Limits, int), ok bool) {
		t.Helper()
		l := DefaultLimits()
		l.MaxMessageBytes = 1 << 30
		set(&l, v)
		err := l.Validate()
		switch {
		case ok && err != nil:
			t.Errorf("%s = %d rejected: %v", field, v, err)
		case !ok && (err == nil || !strings.HasPrefix(err.Error(), "config: Limits."+field+":")):
			t.Errorf("%s = %d: %v, want an error naming the field", field, v, err)
		}
	}
	for _, r := range ranges {
		check(r.field, r.lo-1, r.set, false)
		check(r.field, r.hi+1, r.set, false)
		if r.field != "MaxMessageBytes" {
			check(r.field, r.lo, r.set, true)
		}
		if r.field != "MaxSpecBytes" {
			check(r.field, r.hi, r.set, true)
		}
	}
}
