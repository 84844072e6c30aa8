// Package config loads a phubd node's configuration from defaults, a JSON
// file, PHUB_* environment variables and command-line flags, in that
// order of increasing precedence, and turns it into the core, transport and
// admin settings of one node.
//
// Every setting is one key in a flat namespace. The same key names the
// setting everywhere: "sync_interval" in the file is PHUB_SYNC_INTERVAL in
// the environment and --sync-interval on the command line. Parsing is
// strict: an unknown key, an unknown PHUB_* variable or a bad value is an
// error naming the key and where it came from.
package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// Config is a node's complete configuration, after parsing.
type Config struct {
	// Node identity and addresses.
	Name       string
	Listen     string
	Advertise  string
	Seeds      []string
	SeedsEvery time.Duration

	// Core is the distributor configuration (strategies and timings).
	Core core.Config

	// Peer security.
	Secret         string
	SecretFile     string
	InsecureNoAuth bool
	TLSCert        string
	TLSKey         string
	TLSCA          string
	TLSMutual      bool

	// Admin API.
	AdminAddr      string
	AdminToken     string
	AdminTokenFile string
	AdminNoAuth    bool

	// Logging, children, shutdown.
	LogLevel    string
	LogFormat   string
	ExecLogDir  string
	ExecGrace   time.Duration
	ExecPassEnv []string
	// DataDir is the node's data directory; empty means
	// datadir.Default(Name), resolved by phubd run.
	DataDir         string
	ShutdownTimeout time.Duration
	// Durable keeps the registry on disk in the data dir (state/), so
	// children survive a restart of every node (phub.Config.Store).
	Durable bool
}

// Defaults returns the configuration every key starts from.
func Defaults() Config {
	host, _ := os.Hostname()
	if host == "" {
		host = "phubd"
	}
	cc := core.DefaultConfig(core.NodeID(host))
	cc.Incarnation = 0 // the runtime uses its start time
	return Config{
		Name:            host,
		Listen:          "127.0.0.1:7946",
		SeedsEvery:      10 * time.Second,
		Core:            cc,
		AdminAddr:       "127.0.0.1:7080",
		LogLevel:        "info",
		LogFormat:       "text",
		ExecGrace:       5 * time.Second,
		ShutdownTimeout: 30 * time.Second,
		Durable:         true,
	}
}

// Check validates the fields that depend on each other, after every
// source is applied. Errors name the key.
func (c *Config) Check() error {
	bad := func(key, why string) error { return fmt.Errorf("config: %s: %s", key, why) }
	if c.Name == "" {
		return bad("name", "empty")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", err.Error())
	}
	if c.Advertise == "" {
		host, _, _ := net.SplitHostPort(c.Listen)
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			return bad("advertise", fmt.Sprintf("required when listen (%s) binds every interface: peers need an address to reach this node", c.Listen))
		}
	} else if _, _, err := net.SplitHostPort(c.Advertise); err != nil {
		return bad("advertise", err.Error())
	}
	for _, s := range c.Seeds {
		if _, _, err := net.SplitHostPort(strings.TrimPrefix(s, "dns:")); err != nil {
			return bad("seeds", fmt.Sprintf("%q: want host:port or dns:name:port", s))
		}
	}
	if c.SeedsEvery <= 0 {
		return bad("seeds_refresh", "must be > 0")
	}
	n := 0
	for _, set := range []bool{c.Secret != "", c.SecretFile != "", c.InsecureNoAuth} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return bad("secret", "required: set secret, secret_file, or insecure_no_auth for local experiments")
	case n > 1:
		return bad("secret", "set only one of secret, secret_file and insecure_no_auth")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return bad("tls_cert", "tls_cert and tls_key go together")
	}
	if c.TLSMutual && (c.TLSCert == "" || c.TLSCA == "") {
		return bad("tls_mutual", "needs tls_cert, tls_key and tls_ca")
	}
	if c.TLSCA != "" && c.TLSCert == "" {
		return bad("tls_ca", "needs tls_cert and tls_key (TLS is enabled by a certificate)")
	}
	if _, _, err := net.SplitHostPort(c.AdminAddr); c.AdminAddr != "" && err != nil {
		return bad("admin_addr", err.Error())
	}
	switch {
	case c.AdminAddr == "":
	case c.AdminNoAuth && (c.AdminToken != "" || c.AdminTokenFile != ""):
		return bad("admin_no_auth", "set together with admin_token/admin_token_file")
	case c.AdminNoAuth:
		if !loopback(c.AdminAddr) {
			return bad("admin_no_auth", fmt.Sprintf("only allowed when admin_addr is a loopback address (got %s)", c.AdminAddr))
		}
	case c.AdminToken == "" && c.AdminTokenFile == "":
		return bad("admin_token", "required: set admin_token or admin_token_file (or admin_no_auth for local use)")
	case c.AdminToken != "" && c.AdminTokenFile != "":
		return bad("admin_token", "set only one of admin_token and admin_token_file")
	}
	if c.ShutdownTimeout <= 0 {
		return bad("shutdown_timeout", "must be > 0")
	}
	for _, name := range c.ExecPassEnv {
		if !strings.HasPrefix(name, "PHUB_") {
			return bad("exec_pass_env", fmt.Sprintf("%q is not a PHUB_* variable (children inherit every other variable anyway)", name))
		}
		if err := kinds.CheckEnvName(name); err != nil {
			return bad("exec_pass_env", err.Error())
		}
	}
	if err := c.validateStrict(bad); err != nil {
		return err
	}
	c.Core.Name = core.NodeID(c.Name)
	if err := c.Core.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ReadSecret returns the cluster secret (from secret or secret_file), or
// nil with InsecureNoAuth.
func (c *Config) ReadSecret() ([]byte, error) {
	switch {
	case c.InsecureNoAuth:
		return nil, nil
	case c.SecretFile != "":
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("config: secret_file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if len(s) < transport.MinSecretBytes {
			return nil, fmt.Errorf("config: secret_file: secret shorter than %d bytes", transport.MinSecretBytes)
		}
		return []byte(s), nil
	default:
		if len(c.Secret) < transport.MinSecretBytes {
			return nil, fmt.Errorf("config: secret: shorter than %d bytes", transport.MinSecretBytes)
		}
		return []byte(c.Secret), nil
	}
}

// ReadAdminToken returns the admin token, or "" when admin_no_auth is set.
func (c *Config) ReadAdminToken() (string, error) {
	switch {
	case c.AdminNoAuth:
		return "", nil
	case c.AdminTokenFile != "":
		b, err := os.ReadFile(c.AdminTokenFile)
		if err != nil {
			return "", fmt.Errorf("config: admin_token_file: %w", err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", errors.New("config: admin_token_file: empty")
		}
		return t, nil
	default:
		return c.AdminToken, nil
	}
}

// TLSConfig builds the peer TLS configuration, or nil without tls_cert.
func (c *Config) TLSConfig() (*tls.Config, error) {
	if c.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("config: tls_cert/tls_key: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSCA != "" {
		pem, err := os.ReadFile(c.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("config: tls_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("config: tls_ca: no PEM certificate in %s", c.TLSCA)
		}
		tc.RootCAs = pool
		if c.TLSMutual {
			tc.ClientCAs = pool
			tc.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return tc, nil
}

// Logger builds the slog logger of log_level and log_format.
func (c *Config) Logger(w *os.File) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel)) // checked when parsed
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// validateStrict names the key that the strict partition mode cannot work
// with (core.Config.Validate checks the same, naming Go fields).
func (c *Config) validateStrict(bad func(key, why string) error) error {
	p := c.Core.Partition
	if p.Kind != core.Strict {
		if len(p.Voters) > 0 || p.Lease != 0 || p.LeaseMargin != 0 || p.MaxDrift != 0 {
			return bad("partition_voters", fmt.Sprintf("partition_voters, partition_lease, partition_lease_margin and partition_max_drift are used by partition strict only (partition is %s)", p.Kind))
		}
		return nil
	}
	seen := map[core.NodeID]bool{}
	for _, v := range p.Voters {
		if seen[v] {
			return bad("partition_voters", fmt.Sprintf("%q is listed twice", v))
		}
		seen[v] = true
	}
	switch {
	case len(p.Voters) == 0:
		return bad("partition_voters", "required with partition strict: the names of the configured cluster's nodes")
	case c.Core.Redundancy.Factor != 1:
		return bad("replication_factor", "partition strict runs one instance per child: must be 1")
	case c.Core.Migration.Kind != core.ColdSwap:
		return bad("migration", "partition strict needs cold_swap (a hot-swap handover runs two instances at once)")
	}
	return nil
}
