//go:build !race

package phub_test

const raceEnabled = false
