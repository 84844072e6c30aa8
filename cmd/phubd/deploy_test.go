package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/cmd/phubd/internal/admin"
	"github.com/phub/phub/cmd/phubd/internal/config"
	"github.com/phub/phub/cmd/phubd/internal/ctl"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
	"go.yaml.in/yaml/v3"
)

// The files under deploy/ are checked against phubd itself: every flag,
// PHUB_* variable and config key they use exists and loads, every probe
// path is served, every metric the Grafana board queries is exported.

const deployDir = "../../deploy"

func readDeploy(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// envKey reports whether name is a PHUB_* variable of phubd's key table.
func envKey(name string) bool {
	return slices.ContainsFunc(config.Keys, func(k config.Key) bool { return k.Env() == name })
}

// checkRunArgs checks that every --flag of a "phubd run" command line is
// a key of the table.
func checkRunArgs(t *testing.T, where string, args []string) {
	t.Helper()
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !slices.ContainsFunc(config.Keys, func(k config.Key) bool { return k.Flag() == name }) {
			t.Errorf("%s: flag --%s is not a phubd run flag", where, name)
		}
	}
}

// secretFiles writes a cluster secret and an admin token to files.
func secretFiles(t *testing.T) (secret, token string) {
	dir := t.TempDir()
	secret, token = filepath.Join(dir, "secret"), filepath.Join(dir, "admin-token")
	os.WriteFile(secret, []byte("a-cluster-secret-of-enough-bytes"), 0o600)
	os.WriteFile(token, []byte("an-admin-token"), 0o600)
	return secret, token
}

// probeServer runs one hub with its admin API (the token "an-admin-token").
func probeServer(t *testing.T) (*phub.Hub, *admin.Server, *httptest.Server) {
	t.Helper()
	cfg := core.DefaultConfig("n1")
	cfg.Incarnation = 0
	cfg.Timing.TickInterval = 5 * time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := phub.New(phub.Config{Core: cfg, Transport: transport.NewInmemNetwork().Endpoint("n1"), Logger: log,
		Kinds: phub.Registry{kinds.CounterKind: kinds.NewCounters().Factory}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := admin.New(admin.Options{Hub: h, Core: cfg, Token: "an-admin-token", Logger: log,
		Traffic: func() (map[string]uint64, map[string]uint64, uint64) {
			return map[string]uint64{"heartbeat": 1}, map[string]uint64{"heartbeat": 1}, 0
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	return h, s, srv
}

// dockerfile is a parsed Dockerfile: instructions of the last stage.
type dockerfile struct {
	stages [][][2]string // per FROM: (instruction, rest)
}

func parseDockerfile(src string) dockerfile {
	var d dockerfile
	src = strings.ReplaceAll(src, "\\\n", " ")
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ins, rest, _ := strings.Cut(line, " ")
		ins = strings.ToUpper(ins)
		if ins == "FROM" {
			d.stages = append(d.stages, nil)
		}
		if len(d.stages) > 0 {
			d.stages[len(d.stages)-1] = append(d.stages[len(d.stages)-1], [2]string{ins, strings.TrimSpace(rest)})
		}
	}
	return d
}

func (d dockerfile) final(ins string) []string {
	var out []string
	for _, i := range d.stages[len(d.stages)-1] {
		if i[0] == ins {
			out = append(out, i[1])
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	d := parseDockerfile(readDeploy(t, "docker/Dockerfile"))
	if len(d.stages) != 2 || d.final("FROM")[0] != "scratch" {
		t.Fatalf("want a build stage and a final FROM scratch, got %d stages", len(d.stages))
	}
	build := fmt.Sprint(d.stages[0])
	if !strings.Contains(build, "CGO_ENABLED=0 go build") || !strings.Contains(build, "./cmd/phubd") {
		t.Error("the build stage does not build a static phubd (CGO_ENABLED=0)")
	}
	user := d.final("USER")
	if len(user) != 1 || strings.HasPrefix(user[0], "0") || strings.HasPrefix(user[0], "root") {
		t.Errorf("USER %v: the image must run as a non-root user", user)
	}
	// ENV: every PHUB_* is a key; with a name, an advertise address and
	// the secrets of the run example, the configuration loads.
	env := map[string]string{}
	for _, e := range d.final("ENV") {
		for _, kv := range strings.Fields(e) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("ENV %q: want KEY=value", kv)
			}
			if !envKey(k) {
				t.Errorf("ENV %s is not a phubd variable", k)
			}
			env[k] = v
		}
	}
	secret, token := secretFiles(t)
	environ := []string{"PHUB_NAME=n1", "PHUB_ADVERTISE=10.0.0.1:7946", "PHUB_SECRET_FILE=" + secret, "PHUB_ADMIN_TOKEN_FILE=" + token}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfg, err := config.Load(nil, environ, io.Discard)
	if err != nil {
		t.Fatalf("the image's environment does not load: %v", err)
	}
	if vol := d.final("VOLUME"); len(vol) != 1 || !strings.Contains(vol[0], `"`+cfg.DataDir+`"`) {
		t.Errorf("VOLUME %v does not hold the data dir %s", vol, cfg.DataDir)
	}
	for _, addr := range []string{cfg.Listen, cfg.AdminAddr} {
		_, port, _ := net.SplitHostPort(addr)
		if !strings.Contains(" "+d.final("EXPOSE")[0]+" ", " "+port+" ") {
			t.Errorf("EXPOSE %v lacks port %s", d.final("EXPOSE"), port)
		}
	}
	var entry, cmd []string
	json.Unmarshal([]byte(d.final("ENTRYPOINT")[0]), &entry)
	json.Unmarshal([]byte(d.final("CMD")[0]), &cmd)
	if len(entry) != 1 || len(cmd) == 0 || cmd[0] != "run" {
		t.Fatalf("ENTRYPOINT %v CMD %v: want phubd run", entry, cmd)
	}
	checkRunArgs(t, "CMD", cmd[1:])
	// HEALTHCHECK runs phubd ctl against the admin address of the image's
	// environment: healthy with a live node, unhealthy without.
	hc := d.final("HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatal("no HEALTHCHECK")
	}
	_, execForm, ok := strings.Cut(hc[0], "CMD ")
	var argv []string
	if !ok || json.Unmarshal([]byte(execForm), &argv) != nil || len(argv) < 3 || argv[0] != entry[0] || argv[1] != "ctl" {
		t.Fatalf("HEALTHCHECK %q: want CMD [\"%s\", \"ctl\", ...]", hc[0], entry[0])
	}
	h, _, srv := probeServer(t)
	getenv := func(k string) string {
		if k == "PHUB_ADMIN_ADDR" {
			return srv.Listener.Addr().String() // where the image's 0.0.0.0:7080 would be reached
		}
		return env[k]
	}
	var out bytes.Buffer
	if code := ctl.Run(argv[2:], getenv, &out, &out); code != 0 {
		t.Fatalf("HEALTHCHECK %v on a live node: exit %d %s", argv, code, out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.Close(ctx)
	if code := ctl.Run(argv[2:], getenv, &out, &out); code == 0 {
		t.Fatalf("HEALTHCHECK %v passes on a stopped node: %s", argv, out.String())
	}
}

// yamlDocs parses a multi-document YAML file.
func yamlDocs(t *testing.T, src string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(src))
	var out []map[string]any
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// at walks a parsed YAML/JSON tree: map keys and list indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestKubernetesManifests(t *testing.T) {
	docs := yamlDocs(t, readDeploy(t, "kubernetes/phubd.yaml"))
	byKind := map[string]map[string]any{}
	for _, d := range docs {
		byKind[fmt.Sprint(d["kind"])] = d
	}
	for _, k := range []string{"Secret", "Service", "PodDisruptionBudget", "StatefulSet"} {
		if byKind[k] == nil {
			t.Fatalf("no %s", k)
		}
	}
	sts, svc, pdb, sec := byKind["StatefulSet"], byKind["Service"], byKind["PodDisruptionBudget"], byKind["Secret"]
	labels := at(sts, "spec", "template", "metadata", "labels").(map[string]any)
	matches := func(sel any) bool {
		m, _ := sel.(map[string]any)
		for k, v := range m {
			if labels[k] != v {
				return false
			}
		}
		return len(m) > 0
	}
	if at(svc, "spec", "clusterIP") != "None" || !matches(at(svc, "spec", "selector")) || at(sts, "spec", "serviceName") != at(svc, "metadata", "name") {
		t.Error("the Service is not the StatefulSet's headless service")
	}
	if !matches(at(pdb, "spec", "selector", "matchLabels")) {
		t.Error("the PodDisruptionBudget does not select the pods")
	}
	replicas, _ := at(sts, "spec", "replicas").(int)
	if minAv, _ := at(pdb, "spec", "minAvailable").(int); minAv <= replicas/2 {
		t.Errorf("PDB minAvailable %d of %d replicas: not a majority", minAv, replicas)
	}
	c := at(sts, "spec", "template", "spec", "containers", 0)
	ports := map[string]int{}
	for _, p := range at(c, "ports").([]any) {
		ports[fmt.Sprint(at(p, "name"))] = at(p, "containerPort").(int)
	}
	// Env: every PHUB_* is a key; with $(VAR) references filled in and the
	// secret files provided, the configuration loads.
	secret, token := secretFiles(t)
	fill := strings.NewReplacer("$(POD_NAME)", "phubd-0", "$(POD_IP)", "10.1.2.3", "$(POD_NAMESPACE)", "phub")
	var environ []string
	env := map[string]string{}
	for _, e := range at(c, "env").([]any) {
		name := fmt.Sprint(at(e, "name"))
		if !strings.HasPrefix(name, "PHUB_") {
			continue
		}
		if !envKey(name) {
			t.Errorf("env %s is not a phubd variable", name)
		}
		v := fill.Replace(fmt.Sprint(at(e, "value")))
		env[name] = v
		switch name {
		case "PHUB_SECRET_FILE":
			v = secret
		case "PHUB_ADMIN_TOKEN_FILE":
			v = token
		}
		environ = append(environ, name+"="+v)
	}
	var args []string
	for _, a := range at(c, "args").([]any) {
		args = append(args, fmt.Sprint(a))
	}
	if len(args) == 0 || args[0] != "run" {
		t.Fatalf("args %v: want run", args)
	}
	checkRunArgs(t, "args", args[1:])
	cfg, err := config.Load(args[1:], environ, io.Discard)
	if err != nil {
		t.Fatalf("the StatefulSet's environment does not load: %v", err)
	}
	if !slices.Contains(cfg.Seeds, "dns:"+fmt.Sprint(at(svc, "metadata", "name"))+".phub.svc.cluster.local:7946") {
		t.Errorf("seeds %v do not name the headless service", cfg.Seeds)
	}
	if _, port, _ := net.SplitHostPort(cfg.AdminAddr); strconv.Itoa(ports["admin"]) != port {
		t.Errorf("container port admin %d is not admin_addr %s", ports["admin"], cfg.AdminAddr)
	}
	if _, port, _ := net.SplitHostPort(cfg.Listen); strconv.Itoa(ports["peer"]) != port {
		t.Errorf("container port peer %d is not listen %s", ports["peer"], cfg.Listen)
	}
	// The secret files are the Secret's keys, mounted where the env says.
	mounts := map[string]string{}
	for _, m := range at(c, "volumeMounts").([]any) {
		mounts[fmt.Sprint(at(m, "name"))] = fmt.Sprint(at(m, "mountPath"))
	}
	for _, item := range at(sts, "spec", "template", "spec", "volumes", 0, "secret", "items").([]any) {
		key, path := fmt.Sprint(at(item, "key")), fmt.Sprint(at(item, "path"))
		if at(sec, "stringData", key) == nil {
			t.Errorf("the Secret has no key %s", key)
		}
		file := mounts["secrets"] + "/" + path
		if file != env["PHUB_SECRET_FILE"] && file != env["PHUB_ADMIN_TOKEN_FILE"] {
			t.Errorf("secret file %s is neither secret_file nor admin_token_file", file)
		}
	}
	if mounts["data"] != cfg.DataDir {
		t.Errorf("data volume at %s, data_dir %s", mounts["data"], cfg.DataDir)
	}
	// Graceful termination outlasts the leave and the children's grace.
	grace, _ := at(sts, "spec", "template", "spec", "terminationGracePeriodSeconds").(int)
	if time.Duration(grace)*time.Second <= cfg.ShutdownTimeout+cfg.ExecGrace {
		t.Errorf("terminationGracePeriodSeconds %d <= shutdown_timeout %s + exec_grace %s", grace, cfg.ShutdownTimeout, cfg.ExecGrace)
	}
	// The probes hit the admin port at paths a node serves: ready only
	// when it is, live while its loop turns.
	_, _, srv := probeServer(t)
	want := map[string]string{"readinessProbe": adminapi.PathHealthReady, "livenessProbe": adminapi.PathHealthLive}
	for probe, path := range want {
		p := at(c, probe, "httpGet")
		if at(p, "path") != path || at(p, "port") != "admin" {
			t.Errorf("%s: %v, want %s on the admin port", probe, p, path)
		}
		to, _ := at(c, probe, "timeoutSeconds").(int)
		if time.Duration(to)*time.Second <= admin.LiveTimeout {
			t.Errorf("%s: timeoutSeconds %d must exceed the probe's own %s", probe, to, admin.LiveTimeout)
		}
		var resp *http.Response
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err = http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 200 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if resp.StatusCode != 200 {
			t.Errorf("%s %s: %d on a healthy node", probe, path, resp.StatusCode)
		}
	}
}

// systemdUnit parses a unit file: section -> key -> values.
func systemdUnit(src string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	sec := ""
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			sec = strings.Trim(line, "[]")
			out[sec] = map[string][]string{}
		default:
			k, v, _ := strings.Cut(line, "=")
			out[sec][k] = append(out[sec][k], v)
		}
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	u := systemdUnit(readDeploy(t, "systemd/phubd.service"))
	s := u["Service"]
	one := func(k string) string {
		if len(s[k]) != 1 {
			t.Errorf("[Service] %s: want one value, got %v", k, s[k])
			return ""
		}
		return s[k][0]
	}
	if r := one("Restart"); r != "on-failure" && r != "always" {
		t.Errorf("Restart=%s", r)
	}
	// phubd stops its exec children itself: SIGTERM to phubd alone, the
	// rest of the cgroup killed only when the stop times out.
	if k := one("KillMode"); k != "mixed" {
		t.Errorf("KillMode=%s, want mixed", k)
	}
	if r := one("RestartPreventExitStatus"); r != "2" {
		t.Errorf("RestartPreventExitStatus=%s: a bad configuration (exit 2) must not restart in a loop", r)
	}
	for k, v := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "DynamicUser": "yes", "StateDirectory": "phubd"} {
		if got := one(k); got != v {
			t.Errorf("%s=%s, want %s", k, got, v)
		}
	}
	environ := []string{"PHUB_NAME=n1"}
	for _, e := range s["Environment"] {
		k, _, _ := strings.Cut(e, "=")
		if !envKey(k) {
			t.Errorf("Environment=%s is not a phubd variable", k)
		}
		environ = append(environ, e)
	}
	// ExecStart with the specifiers filled in loads.
	secret, token := secretFiles(t)
	state := t.TempDir()
	os.MkdirAll(filepath.Join(state, "phubd"), 0o700)
	credDir := filepath.Dir(secret)
	argv := strings.Fields(strings.NewReplacer("%S", state, "%d", credDir).Replace(one("ExecStart")))
	if len(argv) < 2 || argv[1] != "run" {
		t.Fatalf("ExecStart %v: want phubd run", argv)
	}
	checkRunArgs(t, "ExecStart", argv[2:])
	cfg, err := config.Load(argv[2:], environ, io.Discard)
	if err != nil {
		t.Fatalf("ExecStart does not load: %v", err)
	}
	if cfg.SecretFile != secret || cfg.AdminTokenFile != token || cfg.DataDir != filepath.Join(state, "phubd") {
		t.Errorf("ExecStart files: secret %s token %s data %s", cfg.SecretFile, cfg.AdminTokenFile, cfg.DataDir)
	}
	for _, cred := range s["LoadCredential"] {
		name, _, _ := strings.Cut(cred, ":")
		if !strings.Contains(one("ExecStart"), "%d/"+name) {
			t.Errorf("credential %s is not passed to phubd", name)
		}
	}
	stop, err := time.ParseDuration(one("TimeoutStopSec"))
	if err != nil || stop <= cfg.ShutdownTimeout+cfg.ExecGrace {
		t.Errorf("TimeoutStopSec=%v must exceed shutdown_timeout %s + exec_grace %s", stop, cfg.ShutdownTimeout, cfg.ExecGrace)
	}
}

var metricName = regexp.MustCompile(`\b(?:phub|go|process)_[a-zA-Z0-9_]+`)

func TestGrafanaDashboard(t *testing.T) {
	var d map[string]any
	if err := json.Unmarshal([]byte(readDeploy(t, "grafana/phubd-dashboard.json")), &d); err != nil {
		t.Fatal(err)
	}
	h, s, _ := probeServer(t)
	// Activity so that every labelled family has a sample.
	ctx := context.Background()
	if _, err := h.StartChildren(ctx, []core.ChildSpec{{ID: "g1", Kind: kinds.CounterKind}}, phub.Await()); err != nil {
		t.Fatal(err)
	}
	families := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for !families["phub_registry_entries"] || !families[`phub_hooks_total`] {
		mfs, err := s.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			name := mf.GetName()
			families[name] = true
			switch mf.GetType().String() {
			case "SUMMARY", "HISTOGRAM":
				families[name+"_sum"], families[name+"_count"], families[name+"_bucket"] = true, true, true
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("metrics never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	queried := 0
	for _, p := range d["panels"].([]any) {
		if ds := at(p, "datasource", "uid"); ds != "${datasource}" {
			t.Errorf("panel %v: datasource %v, want the ${datasource} variable", at(p, "title"), ds)
		}
		for _, tg := range at(p, "targets").([]any) {
			expr := fmt.Sprint(at(tg, "expr"))
			names := metricName.FindAllString(expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %v: %q queries no phubd metric", at(p, "title"), expr)
			}
			for _, n := range names {
				queried++
				if !families[n] {
					t.Errorf("panel %v queries %s, which phubd does not export", at(p, "title"), n)
				}
			}
		}
	}
	if queried < 10 {
		t.Fatalf("only %d metric references", queried)
	}
	vars := map[string]bool{}
	for _, v := range at(d, "templating", "list").([]any) {
		vars[fmt.Sprint(at(v, "name"))] = true
	}
	if !vars["datasource"] || !vars["job"] {
		t.Errorf("template variables %v: want datasource and job", vars)
	}
}

// Every file under deploy/ has a test above and a row in the README's
// Deploy section; the README's screenshots exist and stay small.
func TestDeployFilesAreCoveredAndDocumented(t *testing.T) {
	tested := map[string]bool{"docker/Dockerfile": true, "kubernetes/phubd.yaml": true,
		"systemd/phubd.service": true, "grafana/phubd-dashboard.json": true}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, deploy, ok := strings.Cut(string(readme), "\n## Deploy\n")
	if !ok {
		t.Fatal("README has no Deploy section")
	}
	seen := 0
	err = filepath.WalkDir(deployDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(deployDir, p)
		if !tested[rel] {
			t.Errorf("deploy/%s has no test", rel)
		}
		if !strings.Contains(deploy, "(deploy/"+rel+")") {
			t.Errorf("the README's Deploy section does not link deploy/%s", rel)
		}
		seen++
		return nil
	})
	if err != nil || seen != len(tested) {
		t.Fatalf("walked %d files (want %d): %v", seen, len(tested), err)
	}
	for _, m := range regexp.MustCompile(`!\[[^\]]*\]\((docs/[^)]+\.png)\)`).FindAllStringSubmatch(string(readme), -1) {
		fi, err := os.Stat("../../" + m[1])
		if err != nil {
			t.Errorf("README image %s: %v", m[1], err)
		} else if fi.Size() > 200<<10 {
			t.Errorf("README image %s is %d bytes: keep committed screenshots small", m[1], fi.Size())
		}
	}
}
