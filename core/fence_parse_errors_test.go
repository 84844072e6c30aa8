package core

import (
	"fmt"
	"strings"
	"testing"
)

// TestParseFenceNamesTheBadField: a fence token with a malformed number
// is refused with an error naming which field (1 epoch, 2 incarnation,
// 3 instance) is wrong, so an operator can find it in a long token.
func TestParseFenceNamesTheBadField(t *testing.T) {
	good := fmt.Sprintf("%020d", 7)
	for field := 1; field <= 3; field++ {
		for _, bad := range []string{"7", strings.Repeat("x", 20)} {
			nums := []string{good, good, good}
			nums[field-1] = bad
			s := strings.Join(nums, ".") + ".n1"
			_, err := ParseFence(s)
			want := fmt.Sprintf("field %d:", field)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseFence(%q) = %v, want an error naming %q", s, err, want)
			}
		}
	}
}
