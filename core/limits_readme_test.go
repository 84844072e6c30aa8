package core

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"testing"
)

// TestReadmeLimitsTableMatchesDefaults: every field of Limits has a row in
// the README's limits table, with DefaultLimits' value.
func TestReadmeLimitsTableMatchesDefaults(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(Max\\w+)` \\| (\\d+) \\|").FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.Atoi(m[2])
		rows[m[1]] = v
	}
	d := reflect.ValueOf(DefaultLimits())
	for i := 0; i < d.NumField(); i++ {
		name := d.Type().Field(i).Name
		got, ok := rows[name]
		if !ok {
			t.Errorf("README limits table has no row for %s", name)
			continue
		}
		if want := int(d.Field(i).Int()); got != want {
			t.Errorf("README says %s is %d, DefaultLimits has %d", name, got, want)
		}
	}
	if len(rows) != d.NumField() {
		t.Errorf("README table has %d rows, Limits has %d fields", len(rows), d.NumField())
	}
}
