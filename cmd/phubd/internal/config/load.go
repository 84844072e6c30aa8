package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/phub/phub/cmd/phubd/internal/cli"
	"github.com/phub/phub/kinds"
)

// childEnv lists the PHUB_* variables the exec kind sets for its children
// (kinds.ChildEnvVars); they are not configuration and are ignored (a
// phubd started as a child of another phubd would otherwise refuse to run).
var childEnv = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range kinds.ChildEnvVars {
		m[v] = true
	}
	return m
}()

// Source tells where a value came from, for error messages.
type Source string

// Load builds a configuration from defaults, the JSON file named by
// --config or PHUB_CONFIG, the environment (environ, "KEY=value" entries)
// and the command-line args, each overriding the previous one. Errors
// name the key and the source; every setting the node will use is checked
// here, the secret's length and the secret, token and TLS files included,
// so a node never fails to start on a bad configuration. It returns
// flag.ErrHelp (after printing the usage to stderr) for -h.
func Load(args, environ []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("phubd run", flag.ContinueOnError)
	flags := map[string]string{}
	var order []string
	for _, k := range Keys {
		fs.Var(&flagValue{key: k, vals: flags, order: &order}, k.Flag(), k.Help)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: phubd run [flags]\n\nEvery flag is also PHUB_<KEY> in the environment and <key> in the --config JSON file.\nPrecedence: flags > environment > file > defaults.\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q (flags only)", fs.Arg(0))
	}
	env := map[string]string{}
	var envKeys []string
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "PHUB_") || childEnv[name] {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(name, "PHUB_"))
		if _, ok := keyByName(key); !ok {
			return Config{}, fmt.Errorf("config: environment: unknown variable %s (see phubd run -h)", name)
		}
		env[key] = val
		envKeys = append(envKeys, key)
	}
	sort.Strings(envKeys)

	c := Defaults()
	path := env["config"]
	if p, ok := flags["config"]; ok {
		path = p
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := applyFile(&c, data, path); err != nil {
			return Config{}, err
		}
	}
	for _, key := range envKeys {
		if err := apply(&c, key, env[key], Source("environment "+"PHUB_"+strings.ToUpper(key))); err != nil {
			return Config{}, err
		}
	}
	for _, key := range order {
		if err := apply(&c, key, flags[key], Source("flag --"+strings.ReplaceAll(key, "_", "-"))); err != nil {
			return Config{}, err
		}
	}
	if err := c.Check(); err != nil {
		return Config{}, err
	}
	if err := c.checkFiles(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func apply(c *Config, key, val string, src Source) error {
	if key == "config" {
		return nil
	}
	k, ok := keyByName(key)
	if !ok {
		return fmt.Errorf("config: %s: unknown key %q", src, key)
	}
	if err := k.set(c, val); err != nil {
		return fmt.Errorf("config: %s: key %q: %v", src, key, err)
	}
	return nil
}

// applyFile applies a JSON object of keys to c. Values may be JSON
// strings, numbers or booleans; list keys also take an array of strings.
func applyFile(c *Config, data []byte, path string) error {
	src := Source("file " + path)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("config: %s: not a JSON object: %v", src, err)
	}
	if dec.More() {
		return fmt.Errorf("config: %s: trailing data after the JSON object", src)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		k, ok := keyByName(key)
		if !ok || key == "config" {
			return fmt.Errorf("config: %s: unknown key %q", src, key)
		}
		val, err := fileValue(k, obj[key])
		if err != nil {
			return fmt.Errorf("config: %s: key %q: %v", src, key, err)
		}
		if err := apply(c, key, val, src); err != nil {
			return err
		}
	}
	return nil
}

func fileValue(k Key, raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		if k.Kind == kindDuration {
			return "", fmt.Errorf("want a duration string such as \"10s\", got the number %s", x)
		}
		return x.String(), nil
	case bool:
		return fmt.Sprint(x), nil
	case []any:
		if k.Kind != kindList {
			return "", errors.New("a list is not allowed here")
		}
		parts := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("list element %d: want a string", i)
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	case nil:
		return "", errors.New("null is not a value; remove the key to use the default")
	}
	return "", fmt.Errorf("unsupported value %s", raw)
}

// flagValue records a flag's raw value; values are applied after the
// file and the environment.
type flagValue struct {
	key   Key
	vals  map[string]string
	order *[]string
}

func (f *flagValue) String() string {
	if f == nil || f.key.get == nil || f.key.Name == "config" {
		return ""
	}
	return f.key.Default()
}

func (f *flagValue) Set(v string) error {
	if f.key.Name != "config" {
		// Validate now so the error names the flag; applied later.
		d := Defaults()
		if err := f.key.set(&d, v); err != nil {
			return err
		}
	}
	if _, seen := f.vals[f.key.Name]; !seen {
		*f.order = append(*f.order, f.key.Name)
	}
	f.vals[f.key.Name] = v
	return nil
}

func (f *flagValue) IsBoolFlag() bool { return f.key.Kind == kindBool }
