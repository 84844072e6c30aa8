package procstat

import (
	"os"
	"testing"
)

// TestSigkillPending reads the pending masks of /proc/<pid>/status: SIGKILL
// is bit 8 (signal 9) of SigPnd or ShdPnd; other signals are not a kill.
func TestSigkillPending(t *testing.T) {
	cases := []struct {
		status string
		want   bool
	}{
		{"State:\tR (running)\nSigPnd:\t0000000000000100\nShdPnd:\t0000000000000000\n", true},
		{"State:\tR (running)\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\n", true},
		{"State:\tS (sleeping)\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000004000\n", false}, // SIGTERM only
		{"State:\tS (sleeping)\nSigPnd:\t0000000000000080\nShdPnd:\t0000000000000200\n", false}, // SIGFPE and SIGUSR1
		{"", false},
	}
	for _, c := range cases {
		if got := SigkillPending(c.status); got != c.want {
			t.Errorf("SigkillPending(%q) = %v, want %v", c.status, got, c.want)
		}
	}
	// A live process of ours has none pending.
	if KillPending(os.Getpid()) {
		t.Errorf("this test process shows SIGKILL pending")
	}
}
