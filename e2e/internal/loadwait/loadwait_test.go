package loadwait

import (
	"testing"
	"time"
)

// The factor is the load average per CPU, at least 1 and at most
// MaxFactor; an unreadable text counts as a quiet machine.
func TestFactorOf(t *testing.T) {
	cases := []struct {
		loadavg string
		cpus    int
		want    float64
	}{
		{"0.50 0.40 0.30 1/200 1234\n", 2, 1},
		{"6.00 5.00 4.00 3/200 1234\n", 2, 3},
		{"50.00 40.00 30.00 9/900 1234\n", 2, 20},
		{"35.00 0 0 1/1 1\n", 2, 17.5},
		{"", 2, 1},
		{"abc 1 1", 2, 1},
		{"8.0 1 1", 0, 1},
	}
	for _, c := range cases {
		if got := factorOf(c.loadavg, c.cpus); got != c.want {
			t.Errorf("factorOf(%q, %d) = %v, want %v", c.loadavg, c.cpus, got, c.want)
		}
	}
	if got := scaleBy(15*time.Second, 17.5); got != 262500*time.Millisecond {
		t.Errorf("scaleBy(15s, 17.5) = %v, want 4m22.5s", got)
	}
	if f := Factor(); f < 1 || f > MaxFactor {
		t.Errorf("Factor() = %v, outside [1, %d]", f, MaxFactor)
	}
}

// A deadline's bound is its duration times the largest factor seen, and
// it has not passed right after it began.
func TestDeadline(t *testing.T) {
	w := Start(time.Hour)
	if w.Passed() {
		t.Fatal("a one-hour wait passed at once")
	}
	if w.Factor() < 1 || w.Bound() < time.Hour || w.Bound() > MaxFactor*time.Hour {
		t.Fatalf("factor %v, bound %v: want a factor in [1, %d] and the hour scaled by it", w.Factor(), w.Bound(), MaxFactor)
	}
	w.factor = 3
	if w.Bound() != 3*time.Hour {
		t.Fatalf("bound %v at factor 3, want 3h", w.Bound())
	}
	w.start = time.Now().Add(-(MaxFactor + 1) * time.Hour)
	if !w.Passed() {
		t.Fatalf("a one-hour wait begun %dh ago has not passed (bound %v)", MaxFactor+1, w.Bound())
	}
}
