//go:build race

package phub_test

// raceEnabled slows the test timing down: the race detector makes the
// JSON codec of the in-memory transport ~10x slower, enough to miss
// heartbeats with a 200ms failure detector.
const raceEnabled = true
