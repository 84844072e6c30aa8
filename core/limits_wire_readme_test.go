package core

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeWireCeilingsMatchTheConstants: the README's "Fixed by the wire
// format" sentence states the ceilings peers of every version enforce —
// node names ≤ 255 bytes, any string ≤ 1 MiB, reasons truncated to 1 KiB —
// and they are the constants the codec and core use.
func TestReadmeWireCeilingsMatchTheConstants(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(b)), " ")
	m := regexp.MustCompile("Fixed by the wire format: node names, hub ids and addresses ≤ (\\d+) bytes \\(`core.MaxNodeIDBytes`\\), any string ≤ (\\d+) MiB \\(`core.MaxStringBytes`\\); exit reasons and result details are truncated to (\\d+) KiB").FindStringSubmatch(text)
	if m == nil {
		t.Fatal("README has no \"Fixed by the wire format\" sentence naming MaxNodeIDBytes, MaxStringBytes and the reason bound")
	}
	for _, c := range []struct {
		name      string
		readme    string
		unit, got int
	}{
		{"MaxNodeIDBytes", m[1], 1, MaxNodeIDBytes},
		{"MaxStringBytes", m[2], 1 << 20, MaxStringBytes},
		{"maxReasonBytes", m[3], 1 << 10, maxReasonBytes},
	} {
		n, _ := strconv.Atoi(c.readme) // \d+
		if want := n * c.unit; want != c.got {
			t.Errorf("README says %s is %d bytes, the constant is %d", c.name, want, c.got)
		}
	}
}
