package core

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestReadmeStrategyDefaultsMatchDefaultConfig: the README's strategies
// table states DefaultConfig's values (the documented defaults are a
// promise: a changed default must change the README too).
func TestReadmeStrategyDefaultsMatchDefaultConfig(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	d := DefaultConfig("n1")
	dur := func(x time.Duration) string { // 5m0s → 5m, as the README writes it
		s := x.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		return s
	}
	tm := d.Timing
	want := []string{
		fmt.Sprintf("`VirtualNodes` %d", d.Distribution.VirtualNodes),
		fmt.Sprintf("`Factor` %d (singularity)", d.Redundancy.Factor),
		fmt.Sprintf("`Mode` `%s` (default)", d.Redundancy.Mode),
		fmt.Sprintf("`Retention` %s", dur(d.Migration.Retention)),
		fmt.Sprintf("`FanOut` %d", d.Sync.FanOut),
		fmt.Sprintf("`Sync.Interval` (%s)", dur(d.Sync.Interval)),
		fmt.Sprintf("`Window` %s)", dur(d.Partition.Window)),
		fmt.Sprintf("`InitialClusterSize` %d, `TrackMaxSize` %t", d.Partition.InitialClusterSize, d.Partition.TrackMaxSize),
		fmt.Sprintf("`Restart.MaxRestarts` %d in `Restart.Window` %s", d.Restart.MaxRestarts, dur(d.Restart.Window)),
		fmt.Sprintf("tick %s, heartbeat %s, down after %s, request timeout %s, retry %s, tombstone TTL %s, forget down members after %s",
			dur(tm.TickInterval), dur(tm.HeartbeatInterval), dur(tm.DownAfter), dur(tm.RequestTimeout), dur(tm.RetryInterval), dur(tm.TombstoneTTL), dur(tm.ForgetDownAfter)),
	}
	for _, w := range want {
		if !strings.Contains(readme, w) {
			t.Errorf("README does not state the default %q", w)
		}
	}
}
