package core

import "testing"

// TestConfigKeysReadBackWhatTheyWrite: every key accepts the value Get
// writes and sets the same value again — so a config file or flag set
// written from a config (phubd's defaults, `0s` for "use the default" on
// the strict lease keys included) loads back unchanged.
func TestConfigKeysReadBackWhatTheyWrite(t *testing.T) {
	for _, k := range ConfigKeys() {
		src := DefaultConfig("n1")
		v := k.Get(&src)
		dst := DefaultConfig("n1")
		if err := k.Set(&dst, v); err != nil {
			t.Errorf("%s: Set(%q), the value Get wrote for DefaultConfig: %v", k.Name, v, err)
			continue
		}
		if got := k.Get(&dst); got != v {
			t.Errorf("%s: Set(%q) then Get gives %q", k.Name, v, got)
		}
	}
}
