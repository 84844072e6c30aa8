package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ConfigValueKind is how a ConfigKey's value is written.
type ConfigValueKind int

// The kinds of ConfigKey values.
const (
	ValueString   ConfigValueKind = iota // free text or one of a list of names
	ValueInt                             // a decimal integer
	ValueBool                            // true or false
	ValueDuration                        // a Go duration such as 500ms or 10s
	ValueList                            // comma-separated names
)

// ConfigKey is one setting of Config by name. The keys are the one
// vocabulary of Config's strategies, timing and limits: phubd's config
// file, flags and environment, scenario files' config lines and core's
// testdata all spell a setting the same way.
type ConfigKey struct {
	Name string
	Kind ConfigValueKind
	// Help is a one-line description, with the allowed values of a key
	// that takes one of a list.
	Help string
	set  func(c *Config, v string) error
	get  func(c *Config) string
}

// Set parses v and sets the key in c. A value it refuses leaves c as it
// was and returns an error saying what the key wants (without the key's
// name: callers add their own context).
func (k ConfigKey) Set(c *Config, v string) error { return k.set(c, v) }

// Get returns the key's value in c, written as Set accepts it.
func (k ConfigKey) Get(c *Config) string { return k.get(c) }

// ConfigKeys returns every key, in documentation order (a fresh slice).
func ConfigKeys() []ConfigKey { return append([]ConfigKey(nil), configKeys...) }

// ConfigKeyByName returns the key called name.
func ConfigKeyByName(name string) (ConfigKey, bool) {
	for _, k := range configKeys {
		if k.Name == name {
			return k, true
		}
	}
	return ConfigKey{}, false
}

var configKeys = []ConfigKey{
	keyOneOf("distribution", "distribution strategy", func(c *Config) *DistributionKind { return &c.Distribution.Kind }, ConsistentHashing, Guided),
	keyInt("virtual_nodes", "virtual nodes per node on the hash ring", 1, func(c *Config) *int { return &c.Distribution.VirtualNodes }),
	{Name: "replication_factor", Kind: ValueString, Help: "replicas per child: 1 (singularity), N, or cluster",
		set: func(c *Config, v string) error {
			n, err := ParseReplicationFactor(v)
			if err == nil {
				c.Redundancy.Factor = n
			}
			return err
		},
		get: func(c *Config) string { return FormatReplicationFactor(c.Redundancy.Factor) }},
	keyOneOf("replication_mode", "replication mode", func(c *Config) *RedundancyMode { return &c.Redundancy.Mode }, ActiveActive, ActivePassive),
	keyOneOf("replication_signal", "redundancy signals delivered to children", func(c *Config) *SignalMode { return &c.Redundancy.Signal }, SignalNone, SignalActive, SignalPassive, SignalAll),
	keyOneOf("migration", "migration strategy", func(c *Config) *MigrationKind { return &c.Migration.Kind }, ColdSwap, HotSwap),
	keyDuration("migration_retention", "how long an old instance waits for its handover (hot swap)", func(c *Config) *time.Duration { return &c.Migration.Retention }),
	keyDurationOrZero("migration_exit_wait", "how long a move's new holder waits for the old instance's exit report before it starts the child (cold swap, cordon, leave; 0: 10s); set it above the children's stop grace", func(c *Config) *time.Duration { return &c.Migration.ExitWait }),
	keyBool("migration_handover", "hand state to the new instance (hot swap), also on graceful shutdown", func(c *Config) *bool { return &c.Migration.Handover }),
	keyBool("migration_confirm", "keep the old instance until the new one confirms the state", func(c *Config) *bool { return &c.Migration.ConfirmHandover }),
	keyOneOf("sync", "registry synchronization strategy", func(c *Config) *SyncKind { return &c.Sync.Kind }, PubSub, Gossip),
	keyDuration("sync_interval", "period of anti-entropy rounds", func(c *Config) *time.Duration { return &c.Sync.Interval }),
	keyInt("sync_fanout", "peers per gossip round", 1, func(c *Config) *int { return &c.Sync.FanOut }),
	keyOneOf("partition", "partition-tolerance strategy", func(c *Config) *PartitionKind { return &c.Partition.Kind }, Divergence, StaticQuorum, DynamicQuorum, MajorityQuorum, Strict),
	keyInt("partition_quorum", "static quorum: nodes; dynamic quorum: percent", 0, func(c *Config) *int { return &c.Partition.QuorumSize }),
	keyDuration("partition_window", "dynamic quorum's time window", func(c *Config) *time.Duration { return &c.Partition.Window }),
	keyInt("partition_initial", "majority quorum's initial max-seen cluster size", 1, func(c *Config) *int { return &c.Partition.InitialClusterSize }),
	keyBool("partition_track", "majority quorum raises max-seen on joins", func(c *Config) *bool { return &c.Partition.TrackMaxSize }),
	{Name: "partition_voters", Kind: ValueList, Help: "strict: the configured cluster's node names; a majority of them grants every lease",
		set: func(c *Config, v string) error {
			var voters []NodeID
			for _, name := range strings.Split(v, ",") {
				if name = strings.TrimSpace(name); name != "" {
					voters = append(voters, NodeID(name))
				}
			}
			c.Partition.Voters = voters
			return nil
		},
		get: func(c *Config) string {
			names := make([]string, len(c.Partition.Voters))
			for i, v := range c.Partition.Voters {
				names[i] = string(v)
			}
			return strings.Join(names, ",")
		}},
	keyDurationOrZero("partition_lease", "strict: lease length (0: down_after)", func(c *Config) *time.Duration { return &c.Partition.Lease }),
	keyDurationOrZero("partition_lease_margin", "strict: added to every voter's hold, the time a node may need to kill a fenced child (0: 2 ticks)", func(c *Config) *time.Duration { return &c.Partition.LeaseMargin }),
	{Name: "partition_max_drift", Kind: ValueString, Help: "strict: assumed bound on every node's monotonic clock rate error, in [0, 0.1) (0: 0.01)",
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f >= 0.1 {
				return fmt.Errorf("want a rate in [0, 0.1) such as 0.01, got %q", v)
			}
			c.Partition.MaxDrift = f
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(c.Partition.MaxDrift, 'g', -1, 64) }},
	keyOneOf("detector", "failure detector: all-to-all heartbeats or SWIM-style probing", func(c *Config) *DetectorKind { return &c.Membership.Detector }, AllToAll, Swim),
	keyInt("indirect_probes", "swim: members asked to probe a member that missed a probe (0: 3)", 0, func(c *Config) *int { return &c.Membership.IndirectProbes }),
	keyInt("restart_max", "restarts of one child allowed within restart_window", 0, func(c *Config) *int { return &c.Restart.MaxRestarts }),
	keyDuration("restart_window", "restart intensity window", func(c *Config) *time.Duration { return &c.Restart.Window }),
	keyDuration("tick_interval", "core tick period", func(c *Config) *time.Duration { return &c.Timing.TickInterval }),
	keyDuration("heartbeat_interval", "heartbeat period", func(c *Config) *time.Duration { return &c.Timing.HeartbeatInterval }),
	keyDuration("down_after", "silence after which a member is declared down", func(c *Config) *time.Duration { return &c.Timing.DownAfter }),
	keyDuration("request_timeout", "default await timeout", func(c *Config) *time.Duration { return &c.Timing.RequestTimeout }),
	keyDuration("retry_interval", "retry period of unacknowledged protocol messages", func(c *Config) *time.Duration { return &c.Timing.RetryInterval }),
	keyDuration("tombstone_ttl", "how long stopped children are remembered", func(c *Config) *time.Duration { return &c.Timing.TombstoneTTL }),
	keyDuration("forget_down_after", "how long a down member is remembered and probed", func(c *Config) *time.Duration { return &c.Timing.ForgetDownAfter }),
	keyInt("max_pending", "awaited requests in flight per node", 1, func(c *Config) *int { return &c.Limits.MaxPendingRequests }),
	keyInt("max_batch", "children (specs or ids) per request; also list elements per peer message", 1, func(c *Config) *int { return &c.Limits.MaxBatch }),
	keyInt("max_child_id_bytes", "bytes of a child id", 1, func(c *Config) *int { return &c.Limits.MaxChildIDBytes }),
	keyInt("max_kind_bytes", "bytes of a spec's kind", 1, func(c *Config) *int { return &c.Limits.MaxKindBytes }),
	keyInt("max_params", "params of one spec", 0, func(c *Config) *int { return &c.Limits.MaxParams }),
	keyInt("max_param_bytes", "bytes of one param, key plus value", 1, func(c *Config) *int { return &c.Limits.MaxParamBytes }),
	keyInt("max_spec_bytes", "bytes of all params of one spec", 0, func(c *Config) *int { return &c.Limits.MaxSpecBytes }),
	keyInt("max_metadata_entries", "metadata pairs (tag included) of a start", 0, func(c *Config) *int { return &c.Limits.MaxMetadataEntries }),
	keyInt("max_metadata_bytes", "bytes of metadata keys plus values", 0, func(c *Config) *int { return &c.Limits.MaxMetadataBytes }),
	keyInt("max_pinned_nodes", "nodes of one child in a guided child mapping", 1, func(c *Config) *int { return &c.Limits.MaxPinnedNodes }),
	keyInt("max_request_bytes", "encoded bytes of one request's specs, metadata and mapping", 1, func(c *Config) *int { return &c.Limits.MaxRequestBytes }),
	keyInt("max_message_bytes", "bytes of one peer message (larger ones go in parts; the frame limit follows)", 1, func(c *Config) *int { return &c.Limits.MaxMessageBytes }),
}

// ParseReplicationFactor parses a replication factor: a positive integer,
// or "cluster" (also "cluster_size") for ClusterSize, one replica on
// every node.
func ParseReplicationFactor(s string) (int, error) {
	if s == "cluster" || s == "cluster_size" {
		return ClusterSize, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a positive integer or \"cluster\", got %q", s)
	}
	return n, nil
}

// FormatReplicationFactor writes a factor as ParseReplicationFactor reads it.
func FormatReplicationFactor(n int) string {
	if n == ClusterSize {
		return "cluster"
	}
	return strconv.Itoa(n)
}

func keyInt(name, help string, min int, p func(*Config) *int) ConfigKey {
	return ConfigKey{Name: name, Kind: ValueInt, Help: help,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want an integer, got %q", v)
			}
			if n < min {
				return fmt.Errorf("must be >= %d, got %d", min, n)
			}
			*p(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*p(c)) }}
}

func keyBool(name, help string, p func(*Config) *bool) ConfigKey {
	return ConfigKey{Name: name, Kind: ValueBool, Help: help,
		set: func(c *Config, v string) error {
			b, err := ParseConfigBool(v)
			if err == nil {
				*p(c) = b
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

// ParseConfigBool parses the value of a ValueBool key: true or false.
func ParseConfigBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", v)
	}
	return b, nil
}

func keyDuration(name, help string, p func(*Config) *time.Duration) ConfigKey {
	return ConfigKey{Name: name, Kind: ValueDuration, Help: help,
		set: func(c *Config, v string) error {
			d, err := ParseConfigDuration(v)
			if err == nil {
				*p(c) = d
			}
			return err
		},
		get: func(c *Config) string { return p(c).String() }}
}

// ParseConfigDuration parses the value of a ValueDuration key: a Go
// duration greater than zero.
func ParseConfigDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 500ms or 10s, got %q", v)
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be > 0, got %s", d)
	}
	return d, nil
}

// keyDurationOrZero is a duration key whose 0 means "the default".
func keyDurationOrZero(name, help string, p func(*Config) *time.Duration) ConfigKey {
	k := keyDuration(name, help, p)
	k.set = func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("want a duration such as 500ms or 10s, got %q", v)
		}
		if d < 0 {
			return fmt.Errorf("must be >= 0, got %s", d)
		}
		*p(c) = d
		return nil
	}
	return k
}

func keyOneOf[T ~string](name, help string, p func(*Config) *T, allowed ...T) ConfigKey {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return ConfigKey{Name: name, Kind: ValueString, Help: help + " (" + strings.Join(names, "|") + ")",
		set: func(c *Config, v string) error {
			for _, a := range allowed {
				if v == string(a) {
					*p(c) = a
					return nil
				}
			}
			return fmt.Errorf("want one of %s, got %q", strings.Join(names, ", "), v)
		},
		get: func(c *Config) string { return string(*p(c)) }}
}
