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

func boolean(name, help string, p func(*Config) *bool) Key {
	return Key{Name: name, Kind: kindBool, Help: help,
		set: func(c *Config, v string) error {
			b, err := core.ParseConfigBool(v)
			if err == nil {
				*p(c) = b
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

func duration(name, help string, p func(*Config) *time.Duration) Key {
	return Key{Name: name, Kind: kindDuration, Help: help,
		set: func(c *Config, v string) error {
			d, err := core.ParseConfigDuration(v)
			if err == nil {
				*p(c) = d
			}
			return err
		},
		get: func(c *Config) string { return p(c).String() }}
}

// Keys lists every configuration key, in documentation order.
var Keys = concatKeys(nodeKeys, coreKeys(), serviceKeys)

// nodeKeys name the node and its cluster.
var nodeKeys = []Key{
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
}

// serviceKeys set up the peer transport, the admin API, logs and exec
// children.
var serviceKeys = []Key{
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

// coreKeys are every setting of the core config, from core's one key
// table (core.ConfigKeys) that scenario files and core's testdata use too.
func coreKeys() []Key {
	var out []Key
	for _, ck := range core.ConfigKeys() {
		ck := ck
		kind := kindString
		switch ck.Kind {
		case core.ValueList:
			kind = kindList
		case core.ValueInt:
			kind = kindInt
		case core.ValueBool:
			kind = kindBool
		case core.ValueDuration:
			kind = kindDuration
		}
		out = append(out, Key{Name: ck.Name, Kind: kind, Help: ck.Help,
			set: func(c *Config, v string) error { return ck.Set(&c.Core, v) },
			get: func(c *Config) string { return ck.Get(&c.Core) }})
	}
	return out
}

func concatKeys(lists ...[]Key) []Key {
	var out []Key
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
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
