package sim

import (
	"os"
	"strconv"
	"testing"
)

// seedsPerClass is the default sweep size; PHUB_SEEDS overrides it.
func seedsPerClass(t *testing.T, def int) int {
	if v := os.Getenv("PHUB_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PHUB_SEEDS=%q: want a positive integer", v)
		}
		return n
	}
	if testing.Short() {
		return def / 10
	}
	return def
}

func TestSweep(t *testing.T) {
	n := seedsPerClass(t, 30)
	for _, class := range Classes {
		t.Run(string(class), func(t *testing.T) {
			fails := 0
			for seed := uint64(1); seed <= uint64(n); seed++ {
				res := RunSeed(class, seed, Options{})
				if res.Failed() {
					fails++
					if fails <= 3 {
						t.Errorf("FAIL %s", res.Summary())
					}
				}
			}
			if fails > 0 {
				t.Errorf("%s: %d of %d seeds failed", class, fails, n)
			}
		})
	}
}
