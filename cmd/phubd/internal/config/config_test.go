package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

var base = []string{"PHUB_SECRET=0123456789abcdef0123", "PHUB_ADMIN_TOKEN=tok"}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "phubd.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, args []string, env ...string) (Config, error) {
	t.Helper()
	return Load(args, append(append([]string{}, base...), env...), io.Discard)
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	def := core.DefaultConfig("x")
	if c.Listen != "127.0.0.1:7946" || c.AdminAddr != "127.0.0.1:7080" || c.Core.Sync != def.Sync ||
		c.Core.Timing != def.Timing || c.Core.Limits.MaxBatch != 200000 || c.LogFormat != "text" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, `{"name":"from-file","hub_id":"file-hub","sync_interval":"3s","seeds":["a:1","dns:svc.local:7946"],
		"replication_factor":2,"migration_handover":true,"down_after":"4s"}`)
	c, err := load(t, []string{"--config", file, "--name", "from-flag", "--sync-interval=1s"},
		"PHUB_NAME=from-env", "PHUB_HUB_ID=env-hub", "PHUB_SYNC_INTERVAL=2s")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.Name != "from-flag" || c.Core.Name != "from-flag":
		t.Errorf("name %q: flag must win", c.Name)
	case c.Core.HubID != "env-hub":
		t.Errorf("hub_id %q: env must beat file", c.Core.HubID)
	case c.Core.Sync.Interval != time.Second:
		t.Errorf("sync_interval %s: flag must win", c.Core.Sync.Interval)
	case c.Core.Timing.DownAfter != 4*time.Second || c.Core.Redundancy.Factor != 2 || !c.Core.Migration.Handover:
		t.Errorf("file values lost: %+v", c.Core)
	case strings.Join(c.Seeds, ",") != "a:1,dns:svc.local:7946":
		t.Errorf("seeds %v", c.Seeds)
	}
	// The file may also be named by PHUB_CONFIG.
	c, err = load(t, nil, "PHUB_CONFIG="+file)
	if err != nil || c.Name != "from-file" {
		t.Fatalf("PHUB_CONFIG: %v %q", err, c.Name)
	}
	// Every strategy key reaches core.
	c, err = load(t, []string{"--distribution", "guided", "--replication-factor", "cluster", "--replication-mode", "active_passive",
		"--replication-signal", "all", "--migration", "hot_swap", "--migration-retention", "7s", "--migration-confirm",
		"--sync", "gossip", "--sync-fanout", "5", "--partition", "dynamic_quorum", "--partition-quorum", "60",
		"--partition-window", "9s", "--restart-max", "9", "--restart-window", "11s", "--virtual-nodes", "64"})
	if err != nil {
		t.Fatal(err)
	}
	cc := c.Core
	if cc.Distribution.Kind != core.Guided || cc.Redundancy.Factor != core.ClusterSize || cc.Redundancy.Mode != core.ActivePassive ||
		cc.Redundancy.Signal != core.SignalAll || cc.Migration.Kind != core.HotSwap || cc.Migration.Retention != 7*time.Second ||
		!cc.Migration.ConfirmHandover || cc.Sync.Kind != core.Gossip || cc.Sync.FanOut != 5 || cc.Partition.Kind != core.DynamicQuorum ||
		cc.Partition.QuorumSize != 60 || cc.Partition.Window != 9*time.Second || cc.Restart.MaxRestarts != 9 ||
		cc.Restart.Window != 11*time.Second || cc.Distribution.VirtualNodes != 64 {
		t.Fatalf("core: %+v", cc)
	}
}

func TestStrictErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  []string
		file string
		want string
	}{
		{"unknown file key", nil, nil, `{"nmae":"x"}`, `unknown key "nmae"`},
		{"bad file duration", nil, nil, `{"sync_interval":"soon"}`, `key "sync_interval": want a duration`},
		{"numeric file duration", nil, nil, `{"down_after":5}`, `key "down_after": want a duration string`},
		{"file list for scalar", nil, nil, `{"name":["a"]}`, `key "name": a list is not allowed`},
		{"file null", nil, nil, `{"name":null}`, `key "name": null`},
		{"file not an object", nil, nil, `[1]`, "not a JSON object"},
		{"file trailing", nil, nil, `{} {}`, "trailing data"},
		{"bad file enum", nil, nil, `{"sync":"carrier_pigeon"}`, `key "sync": want one of pubsub, gossip`},
		{"unknown env", nil, []string{"PHUB_SYNC_INTERVL=1s"}, "", "unknown variable PHUB_SYNC_INTERVL"},
		{"bad env bool", nil, []string{"PHUB_MIGRATION_HANDOVER=yes"}, "", `PHUB_MIGRATION_HANDOVER: key "migration_handover": want true or false`},
		{"bad env int", nil, []string{"PHUB_SYNC_FANOUT=many"}, "", `key "sync_fanout": want an integer`},
		{"unknown flag", []string{"--sync-intervl", "1s"}, nil, "", "flag provided but not defined: -sync-intervl"},
		{"bad flag duration", []string{"--down-after", "1"}, nil, "", `invalid value "1" for flag -down-after: want a duration`},
		{"bad flag factor", []string{"--replication-factor", "0"}, nil, "", "want a positive integer or \"cluster\""},
		{"bad log level", []string{"--log-level", "loud"}, nil, "", "want debug, info, warn or error"},
		{"positional", []string{"extra"}, nil, "", `unexpected argument "extra"`},
		{"bad seed", []string{"--seeds", "nohost"}, nil, "", "seeds: \"nohost\": want host:port"},
		{"advertise needed", []string{"--listen", "0.0.0.0:7946"}, nil, "", "advertise: required"},
		{"no secret", nil, []string{"PHUB_SECRET="}, "", "secret: required"},
		{"two secrets", []string{"--insecure-no-auth"}, nil, "", "secret: set only one"},
		{"no token", nil, []string{"PHUB_ADMIN_TOKEN="}, "", "admin_token: required"},
		{"no auth off loopback", []string{"--admin-addr", "0.0.0.0:7080", "--admin-no-auth"}, []string{"PHUB_ADMIN_TOKEN="}, "", "admin_no_auth: only allowed when admin_addr is a loopback"},
		{"mtls without ca", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-mutual"}, nil, "", "tls_mutual: needs"},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, "", "tls_cert and tls_key go together"},
		{"core validation", []string{"--partition", "static_quorum"}, nil, "", "Partition.QuorumSize"},
		{"heartbeat vs down", []string{"--down-after", "100ms"}, nil, "", "Timing.DownAfter"},
		{"param limit over the wire ceiling", nil, nil, `{"max_param_bytes":2000000}`, "Limits.MaxParamBytes: 2000000 is outside 1..1048576"},
		{"message limit below one entry", []string{"--max-message-bytes", "65536"}, nil, "", "Limits.MaxMessageBytes: 64 KiB cannot hold one entry at the other limits"},
		{"negative limit", nil, []string{"PHUB_MAX_PARAMS=-1"}, "", `key "max_params": must be >= 0`},
		{"pass non-PHUB variable", []string{"--exec-pass-env", "HOME"}, nil, "", `exec_pass_env: "HOME" is not a PHUB_* variable`},
		{"pass a child variable", []string{"--exec-pass-env", "PHUB_ADMIN_ADDR,PHUB_FENCE"}, nil, "", "exec_pass_env: environment variable PHUB_FENCE is set by phub"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.file != "" {
				args = append([]string{"--config", writeFile(t, c.file)}, args...)
			}
			_, err := load(t, args, c.env...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestAdminNoAuthOnLoopback(t *testing.T) {
	c, err := load(t, []string{"--admin-no-auth", "--admin-addr", "localhost:0"}, "PHUB_ADMIN_TOKEN=", "PHUB_CHILD_ID=ignored", "PHUB_FENCE=ignored")
	if err != nil || !c.AdminNoAuth {
		t.Fatalf("%v", err)
	}
	if tok, err := c.ReadAdminToken(); err != nil || tok != "" {
		t.Fatalf("token %q %v", tok, err)
	}
}

func TestExecPassEnvAndDataDir(t *testing.T) {
	c, err := load(t, []string{"--data-dir", "/var/lib/phubd/n1"}, "PHUB_EXEC_PASS_ENV=PHUB_ADMIN_ADDR, PHUB_X")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/phubd/n1" || strings.Join(c.ExecPassEnv, ",") != "PHUB_ADMIN_ADDR,PHUB_X" {
		t.Fatalf("data dir %q, pass env %q", c.DataDir, c.ExecPassEnv)
	}
}

func TestSecretAndTokenFiles(t *testing.T) {
	dir := t.TempDir()
	sf, tf := filepath.Join(dir, "secret"), filepath.Join(dir, "token")
	os.WriteFile(sf, []byte("a-long-enough-secret-value\n"), 0o600)
	os.WriteFile(tf, []byte("file-token\n"), 0o600)
	c, err := Load([]string{"--secret-file", sf, "--admin-token-file", tf}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.ReadSecret()
	if err != nil || string(s) != "a-long-enough-secret-value" {
		t.Fatalf("secret %q %v", s, err)
	}
	tok, err := c.ReadAdminToken()
	if err != nil || tok != "file-token" {
		t.Fatalf("token %q %v", tok, err)
	}
	c.Secret, c.SecretFile = "short", ""
	if _, err := c.ReadSecret(); err == nil || !strings.Contains(err.Error(), "secret: shorter than 16") {
		t.Fatalf("short secret: %v", err)
	}
}

// Every key is documented in the README with its default.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys {
		row := ""
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "| `"+k.Name+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("README lacks a row for key %q", k.Name)
			continue
		}
		if d := k.Default(); d != "" && !strings.Contains(row, "`"+d+"`") {
			t.Errorf("README row of %q does not show its default %q: %s", k.Name, d, row)
		}
	}
}
