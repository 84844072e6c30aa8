package core

import (
	"strings"
	"testing"
)

// TestValidateRejectsPartsOutOfRange: a peer message that claims to be a
// part of a split message is accepted only with a part count in
// 2..maxParts, a part number below it and a split id; anything else is
// refused with an error naming the range, so a peer cannot make the
// assembler wait for one part of one or for more parts than a split
// produces.
func TestValidateRejectsPartsOutOfRange(t *testing.T) {
	msg := func(part, parts int, of uint64) Message {
		return Message{Kind: MsgHeartbeat, From: "n2", Part: part, Parts: parts, PartOf: of}
	}
	for _, ok := range []Message{msg(0, 0, 0), msg(0, 2, 7), msg(1, 2, 7), msg(maxParts-1, maxParts, 7)} {
		if err := ok.Validate(100); err != nil {
			t.Errorf("part %d of %d (of %d): refused: %v", ok.Part, ok.Parts, ok.PartOf, err)
		}
	}
	for _, bad := range []Message{msg(0, 1, 7), msg(0, maxParts+1, 7), msg(-1, 2, 7), msg(2, 2, 7), msg(0, 2, 0), msg(1, 0, 0), msg(0, 0, 7)} {
		err := bad.Validate(100)
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("part %d of %d (of %d): %v, want an out-of-range error", bad.Part, bad.Parts, bad.PartOf, err)
		}
	}
}
