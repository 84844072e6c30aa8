package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/phub/phub/core"
)

// valueKind is how a key's value is written.
type valueKind int

const (
	kindString valueKind = iota
	kindInt
	kindBool
	kindDuration
	kindList // comma-separated in flags and env; a JSON array or string in the file
)

// Key is one configuration setting.
type Key struct {
	Name string // file key; flag is --name-with-dashes, env PHUB_NAME_UPPER
	Kind valueKind
	Help string
	set  func(c *Config, v string) error
	get  func(c *Config) string
}

// Flag returns the key's command-line flag name (without dashes).
func (k Key) Flag() string { return strings.ReplaceAll(k.Name, "_", "-") }

// Env returns the key's environment variable.
func (k Key) Env() string { return "PHUB_" + strings.ToUpper(k.Name) }

// Default returns the key's default value as text.
func (k Key) Default() string {
	d := Defaults()
	switch k.Name {
	case "name":
		return "(hostname)"
	case "data_dir":
		return "~/.local/state/phubd/<name>"
	}
	return k.get(&d)
}

func str(name, help string, p func(*Config) *string) Key {
	return Key{Name: name, Kind: kindString, Help: help,
		set: func(c *Config, v string) error { *p(c) = v; return nil },
		get: func(c *Config) string { return *p(c) }}
}

func oneOf(name, help string, p func(*Config) *string, allowed ...string) Key {
	k := str(name, help+" ("+strings.Join(allowed, "|")+")", p)
	k.set = func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*p(c) = v
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(allowed, ", "), v)
	}
	return k
}

func integer(name, help string, min int, p func(*Config) *int) Key {
	return Key{Name: name, Kind: kindInt, Help: help,
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

func boolean(name, help string, p func(*Config) *bool) Key {
	return Key{Name: name, Kind: kindBool, Help: help,
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			*p(c) = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

func duration(name, help string, p func(*Config) *time.Duration) Key {
	return Key{Name: name, Kind: kindDuration, Help: help,
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("want a duration such as 500ms or 10s, got %q", v)
			}
			if d <= 0 {
				return fmt.Errorf("must be > 0, got %s", d)
			}
			*p(c) = d
			return nil
		},
		get: func(c *Config) string { return p(c).String() }}
}

// durationOrZero is a duration key whose 0 means "the default".
func durationOrZero(name, help string, p func(*Config) *time.Duration) Key {
	k := duration(name, help, p)
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

func kindOf[T ~string](name, help string, p func(*Config) *T, allowed ...T) Key {
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return Key{Name: name, Kind: kindString, Help: help + " (" + strings.Join(names, "|") + ")",
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

// Keys lists every configuration key, in documentation order.
var Keys = []Key{
	str("config", "JSON config file to read (flag or PHUB_CONFIG only)", func(c *Config) *string { return new(string) }),
	str("name", "node name, unique in the cluster", func(c *Config) *string { return &c.Name }),
	str("listen", "peer listen address host:port", func(c *Config) *string { return &c.Listen }),
	str("advertise", "address peers use to reach this node (default: listen, required if listen is 0.0.0.0)", func(c *Config) *string { return &c.Advertise }),
	{Name: "seeds", Kind: kindList, Help: "seed nodes: host:port or dns:name:port (every address of name becomes a seed)",
		set: func(c *Config, v string) error { c.Seeds = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.Seeds, ",") }},
	duration("seeds_refresh", "how often seed host names are re-resolved", func(c *Config) *time.Duration { return &c.SeedsEvery }),
	str("hub_id", "hub name; nodes of different hubs ignore each other", func(c *Config) *string { return (*string)(&c.Core.HubID) }),
	{Name: "rand_seed", Kind: kindInt, Help: "seed of the node's PRNG (gossip peers); 0 derives it from the start time",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("want a non-negative integer, got %q", v)
			}
			c.Core.RandSeed = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatUint(c.Core.RandSeed, 10) }},

	kindOf("distribution", "distribution strategy", func(c *Config) *core.DistributionKind { return &c.Core.Distribution.Kind }, core.ConsistentHashing, core.Guided),
	integer("virtual_nodes", "virtual nodes per node on the hash ring", 1, func(c *Config) *int { return &c.Core.Distribution.VirtualNodes }),
	{Name: "replication_factor", Kind: kindString, Help: "replicas per child: 1 (singularity), N, or cluster",
		set: func(c *Config, v string) error {
			n, err := parseFactor(v)
			c.Core.Redundancy.Factor = n
			return err
		},
		get: func(c *Config) string { return formatFactor(c.Core.Redundancy.Factor) }},
	kindOf("replication_mode", "replication mode", func(c *Config) *core.RedundancyMode { return &c.Core.Redundancy.Mode }, core.ActiveActive, core.ActivePassive),
	kindOf("replication_signal", "redundancy signals delivered to children", func(c *Config) *core.SignalMode { return &c.Core.Redundancy.Signal }, core.SignalNone, core.SignalActive, core.SignalPassive, core.SignalAll),
	kindOf("migration", "migration strategy", func(c *Config) *core.MigrationKind { return &c.Core.Migration.Kind }, core.ColdSwap, core.HotSwap),
	duration("migration_retention", "how long an old instance waits for its handover (hot swap)", func(c *Config) *time.Duration { return &c.Core.Migration.Retention }),
	boolean("migration_handover", "hand state to the new instance (hot swap), also on graceful shutdown", func(c *Config) *bool { return &c.Core.Migration.Handover }),
	boolean("migration_confirm", "keep the old instance until the new one confirms the state", func(c *Config) *bool { return &c.Core.Migration.ConfirmHandover }),
	kindOf("sync", "registry synchronization strategy", func(c *Config) *core.SyncKind { return &c.Core.Sync.Kind }, core.PubSub, core.Gossip),
	duration("sync_interval", "period of anti-entropy rounds", func(c *Config) *time.Duration { return &c.Core.Sync.Interval }),
	integer("sync_fanout", "peers per gossip round", 1, func(c *Config) *int { return &c.Core.Sync.FanOut }),
	kindOf("partition", "partition-tolerance strategy", func(c *Config) *core.PartitionKind { return &c.Core.Partition.Kind }, core.Divergence, core.StaticQuorum, core.DynamicQuorum, core.MajorityQuorum, core.Strict),
	integer("partition_quorum", "static quorum: nodes; dynamic quorum: percent", 0, func(c *Config) *int { return &c.Core.Partition.QuorumSize }),
	duration("partition_window", "dynamic quorum's time window", func(c *Config) *time.Duration { return &c.Core.Partition.Window }),
	integer("partition_initial", "majority quorum's initial max-seen cluster size", 1, func(c *Config) *int { return &c.Core.Partition.InitialClusterSize }),
	boolean("partition_track", "majority quorum raises max-seen on joins", func(c *Config) *bool { return &c.Core.Partition.TrackMaxSize }),
	{Name: "partition_voters", Kind: kindList, Help: "strict: the configured cluster's node names; a majority of them grants every lease",
		set: func(c *Config, v string) error {
			c.Core.Partition.Voters = nil
			for _, name := range splitList(v) {
				c.Core.Partition.Voters = append(c.Core.Partition.Voters, core.NodeID(name))
			}
			return nil
		},
		get: func(c *Config) string {
			names := make([]string, len(c.Core.Partition.Voters))
			for i, v := range c.Core.Partition.Voters {
				names[i] = string(v)
			}
			return strings.Join(names, ",")
		}},
	durationOrZero("partition_lease", "strict: lease length (0: down_after)", func(c *Config) *time.Duration { return &c.Core.Partition.Lease }),
	durationOrZero("partition_lease_margin", "strict: added to every voter's hold, the time a node may need to kill a fenced child (0: 2 ticks)", func(c *Config) *time.Duration { return &c.Core.Partition.LeaseMargin }),
	{Name: "partition_max_drift", Kind: kindString, Help: "strict: assumed bound on every node's monotonic clock rate error, in [0, 0.1) (0: 0.01)",
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f >= 0.1 {
				return fmt.Errorf("want a rate in [0, 0.1) such as 0.01, got %q", v)
			}
			c.Core.Partition.MaxDrift = f
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(c.Core.Partition.MaxDrift, 'g', -1, 64) }},
	integer("restart_max", "restarts of one child allowed within restart_window", 0, func(c *Config) *int { return &c.Core.Restart.MaxRestarts }),
	duration("restart_window", "restart intensity window", func(c *Config) *time.Duration { return &c.Core.Restart.Window }),
	duration("tick_interval", "core tick period", func(c *Config) *time.Duration { return &c.Core.Timing.TickInterval }),
	duration("heartbeat_interval", "heartbeat period", func(c *Config) *time.Duration { return &c.Core.Timing.HeartbeatInterval }),
	duration("down_after", "silence after which a member is declared down", func(c *Config) *time.Duration { return &c.Core.Timing.DownAfter }),
	duration("request_timeout", "default await timeout", func(c *Config) *time.Duration { return &c.Core.Timing.RequestTimeout }),
	duration("retry_interval", "retry period of unacknowledged protocol messages", func(c *Config) *time.Duration { return &c.Core.Timing.RetryInterval }),
	duration("tombstone_ttl", "how long stopped children are remembered", func(c *Config) *time.Duration { return &c.Core.Timing.TombstoneTTL }),
	duration("forget_down_after", "how long a down member is remembered and probed", func(c *Config) *time.Duration { return &c.Core.Timing.ForgetDownAfter }),
	integer("max_pending", "awaited requests in flight per node", 1, func(c *Config) *int { return &c.Core.Limits.MaxPendingRequests }),
	integer("max_batch", "children (specs or ids) per request; also list elements per peer message", 1, func(c *Config) *int { return &c.Core.Limits.MaxBatch }),
	integer("max_child_id_bytes", "bytes of a child id", 1, func(c *Config) *int { return &c.Core.Limits.MaxChildIDBytes }),
	integer("max_kind_bytes", "bytes of a spec's kind", 1, func(c *Config) *int { return &c.Core.Limits.MaxKindBytes }),
	integer("max_params", "params of one spec", 0, func(c *Config) *int { return &c.Core.Limits.MaxParams }),
	integer("max_param_bytes", "bytes of one param, key plus value", 1, func(c *Config) *int { return &c.Core.Limits.MaxParamBytes }),
	integer("max_spec_bytes", "bytes of all params of one spec", 0, func(c *Config) *int { return &c.Core.Limits.MaxSpecBytes }),
	integer("max_metadata_entries", "metadata pairs (tag included) of a start", 0, func(c *Config) *int { return &c.Core.Limits.MaxMetadataEntries }),
	integer("max_metadata_bytes", "bytes of metadata keys plus values", 0, func(c *Config) *int { return &c.Core.Limits.MaxMetadataBytes }),
	integer("max_pinned_nodes", "nodes of one child in a guided child mapping", 1, func(c *Config) *int { return &c.Core.Limits.MaxPinnedNodes }),
	integer("max_request_bytes", "encoded bytes of one request's specs, metadata and mapping", 1, func(c *Config) *int { return &c.Core.Limits.MaxRequestBytes }),
	integer("max_message_bytes", "bytes of one peer message (larger ones go in parts; the frame limit follows)", 1, func(c *Config) *int { return &c.Core.Limits.MaxMessageBytes }),

	str("secret", "cluster secret (at least 16 bytes); prefer secret_file or PHUB_SECRET", func(c *Config) *string { return &c.Secret }),
	str("secret_file", "file holding the cluster secret", func(c *Config) *string { return &c.SecretFile }),
	boolean("insecure_no_auth", "run the peer handshake without a secret (local experiments only)", func(c *Config) *bool { return &c.InsecureNoAuth }),
	str("tls_cert", "PEM certificate for peer TLS (enables TLS)", func(c *Config) *string { return &c.TLSCert }),
	str("tls_key", "PEM private key of tls_cert", func(c *Config) *string { return &c.TLSKey }),
	str("tls_ca", "PEM CA bundle verifying peers (default: system roots)", func(c *Config) *string { return &c.TLSCA }),
	boolean("tls_mutual", "require and verify peer client certificates against tls_ca (mTLS)", func(c *Config) *bool { return &c.TLSMutual }),

	str("admin_addr", "admin HTTP API listen address; empty disables it", func(c *Config) *string { return &c.AdminAddr }),
	str("admin_token", "bearer token of the admin API; prefer admin_token_file or PHUB_ADMIN_TOKEN", func(c *Config) *string { return &c.AdminToken }),
	str("admin_token_file", "file holding the admin token", func(c *Config) *string { return &c.AdminTokenFile }),
	boolean("admin_no_auth", "serve the admin API without a token (loopback admin_addr only)", func(c *Config) *bool { return &c.AdminNoAuth }),

	{Name: "log_level", Kind: kindString, Help: "log level (debug|info|warn|error)",
		set: func(c *Config, v string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("want debug, info, warn or error, got %q", v)
			}
			c.LogLevel = v
			return nil
		},
		get: func(c *Config) string { return c.LogLevel }},
	oneOf("log_format", "log format", func(c *Config) *string { return &c.LogFormat }, "text", "json"),
	str("exec_log_dir", "directory of exec children's stdout/stderr logs; empty discards output", func(c *Config) *string { return &c.ExecLogDir }),
	{Name: "exec_pass_env", Kind: kindList, Help: "PHUB_* variables of phubd's environment that exec children inherit (every other PHUB_* variable is removed)",
		set: func(c *Config, v string) error { c.ExecPassEnv = splitList(v); return nil },
		get: func(c *Config) string { return strings.Join(c.ExecPassEnv, ",") }},
	duration("exec_grace", "time between SIGTERM and SIGKILL when an exec child is stopped", func(c *Config) *time.Duration { return &c.ExecGrace }),
	str("data_dir", "the node's data directory (exclusive lock, records of running exec children); default $XDG_STATE_HOME/phubd/<name> if XDG_STATE_HOME is set", func(c *Config) *string { return &c.DataDir }),
	duration("shutdown_timeout", "bound on the graceful leave at SIGTERM/SIGINT", func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
	boolean("durable", "keep the registry on disk (<data_dir>/state, synced before every acknowledgement) so children survive a restart of every node; false keeps it in memory only", func(c *Config) *bool { return &c.Durable }),
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func keyByName(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}
