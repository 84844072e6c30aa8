package transport

import (
	"testing"

	"github.com/phub/phub/core"
)

// TestMessageBytesBoundsLongLists: core.MessageBytes bounds a message
// whose lists each hold many elements at their largest. A single element
// hides in the header bound's slack (TestMessageBytesBoundsTheLargestMessage
// logs it); many do not, so an element bound that underestimates its
// element by a few bytes shows here — core splits full syncs and result
// lists of thousands of elements by this bound.
func TestMessageBytesBoundsLongLists(t *testing.T) {
	l := core.DefaultLimits()
	full := maxMessage(l)
	// 200 of each small element; 4 of the entry and start item at every
	// limit (each is hundreds of KiB: their encoding dominates the test).
	k := 200
	many := func(f func(m *core.Message)) core.Message {
		m := full
		m.State, m.Members, m.Items, m.IDs, m.Entries = nil, nil, nil, nil, nil
		m.Claims, m.Results, m.Children, m.Acks = nil, nil, nil, nil
		for i := 0; i < k; i++ {
			f(&m)
		}
		return m
	}
	cases := map[string]core.Message{
		"members":  many(func(m *core.Message) { m.Members = append(m.Members, full.Members...) }),
		"ids":      many(func(m *core.Message) { m.IDs = append(m.IDs, full.IDs...) }),
		"claims":   many(func(m *core.Message) { m.Claims = append(m.Claims, full.Claims...) }),
		"results":  many(func(m *core.Message) { m.Results = append(m.Results, full.Results...) }),
		"children": many(func(m *core.Message) { m.Children = append(m.Children, full.Children...) }),
		"acks":     many(func(m *core.Message) { m.Acks = append(m.Acks, full.Acks...) }),
	}
	k = 4
	cases["items"] = many(func(m *core.Message) { m.Items = append(m.Items, full.Items...) })
	cases["entries"] = many(func(m *core.Message) { m.Entries = append(m.Entries, full.Entries...) })
	for _, name := range []string{"members", "items", "ids", "entries", "claims", "results", "children", "acks"} {
		m := cases[name]
		n := len(m.Members) + len(m.Items) + len(m.IDs) + len(m.Entries) + len(m.Claims) + len(m.Results) + len(m.Children) + len(m.Acks)
		b, err := AppendMessageBinary(nil, &m)
		if err != nil {
			t.Fatalf("%s: encode: %v", name, err)
		}
		if bound := core.MessageBytes(&m); len(b) > bound {
			t.Errorf("%s (%d elements): encoded %d bytes, core.MessageBytes says at most %d", name, n, len(b), bound)
		}
	}
}
