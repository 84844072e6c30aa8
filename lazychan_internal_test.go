package phub

import "testing"

// TestLazyChanIsOneChannel: an instance's Signals and HandoverIn channels
// are made on first use, from any goroutine, and every call returns the
// same channel, so a value the loop offers before the child asks is the
// one the child then receives.
func TestLazyChanIsOneChannel(t *testing.T) {
	var l lazyChan[bool]
	got := make(chan chan bool, 8)
	for i := 0; i < 8; i++ {
		go func() { got <- l.get() }()
	}
	first := <-got
	for i := 1; i < 8; i++ {
		if ch := <-got; ch != first {
			t.Fatal("two calls made two channels")
		}
	}
	var r childRun
	offerLatest(r.signals.get(), true)
	offerLatest(r.signals.get(), false)
	if v := <-r.Signals(); v != false {
		t.Fatalf("the child received %v, want the latest offer (false)", v)
	}
}
