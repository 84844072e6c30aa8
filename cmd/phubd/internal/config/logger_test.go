package config

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// log_format json writes one JSON object per line with time, level, msg
// and the attributes as fields (log/slog's JSON handler).
func TestJSONLogs(t *testing.T) {
	c, err := load(t, []string{"--log-format", "json", "--log-level", "debug"})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	log := c.Logger(f)
	log.Debug("phubd running", "name", "n1", "alive", 3)
	log.Warn("membership changed", "member", "n2")
	f.Close()
	f, _ = os.Open(p)
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0]["msg"] != "phubd running" || lines[0]["level"] != "DEBUG" || lines[0]["alive"] != 3.0 ||
		lines[1]["member"] != "n2" || lines[1]["time"] == nil {
		t.Fatalf("lines: %v", lines)
	}
	if _, err := load(t, []string{"--log-format", "yaml"}); err == nil {
		t.Fatal("log_format yaml accepted")
	}
}
