package core

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestLimitKeysAcceptWhatValidateAccepts: each config key of a Limits
// field (max_child_id_bytes for MaxChildIDBytes, …) accepts every small
// value Limits.Validate accepts — a config never fails on a valid value
// such as a one-byte child id bound — and refuses the negative ones.
func TestLimitKeysAcceptWhatValidateAccepts(t *testing.T) {
	lt := reflect.TypeOf(Limits{})
	matched := 0
	for _, k := range ConfigKeys() {
		norm := strings.ReplaceAll(k.Name, "_", "")
		if k.Name == "max_pending" {
			norm = "MaxPendingRequests"
		}
		var field string
		for i := 0; i < lt.NumField(); i++ {
			if strings.EqualFold(lt.Field(i).Name, norm) {
				field = lt.Field(i).Name
			}
		}
		if field == "" {
			continue
		}
		matched++
		for v := -1; v <= 3; v++ {
			c := DefaultConfig("n1")
			reflect.ValueOf(&c.Limits).Elem().FieldByName(field).SetInt(int64(v))
			valid := c.Limits.Validate() == nil
			k2 := DefaultConfig("n1")
			err := k.Set(&k2, strconv.Itoa(v))
			if valid && err != nil {
				t.Errorf("%s=%d: the key refuses a value Limits.Validate accepts: %v", k.Name, v, err)
			}
			if v < 0 && err == nil {
				t.Errorf("%s=%d: the key accepts a negative bound", k.Name, v)
			}
		}
	}
	if matched != lt.NumField() {
		t.Errorf("%d config keys name a Limits field, Limits has %d fields", matched, lt.NumField())
	}
}
