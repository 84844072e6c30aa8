package core

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// describer renders core's outputs one item per line, deterministically,
// for the testdata files (datadriven_test.go). Every field that is not zero
// is printed by reflection, so a new field of Message, Effect, Reply or
// Entry shows up in the files' diff without touching the describer.
type describer struct {
	// base is the instant shown as +0s.
	base Instant
}

// ready renders one node's batch: messages, effects, replies, registry
// changes and hooks, in that order, each line prefixed by the node.
func (d describer) ready(node NodeID, r Ready, f filter) []string {
	var out []string
	if f.show["msgs"] {
		for _, e := range r.Messages {
			if f.hideKinds[e.Msg.Kind.String()] {
				continue
			}
			out = append(out, d.envelope(node, e))
		}
	}
	if f.show["effects"] {
		for _, e := range r.Effects {
			out = append(out, fmt.Sprintf("%s effect %s", node, d.effect(e)))
		}
	}
	if f.show["replies"] {
		for _, rep := range r.Replies {
			out = append(out, fmt.Sprintf("%s reply %s", node, d.reply(rep)))
		}
	}
	if f.show["changes"] {
		for _, c := range r.Changes {
			if c.Entry == nil {
				out = append(out, fmt.Sprintf("%s change %s removed", node, c.ID))
				continue
			}
			out = append(out, fmt.Sprintf("%s change %s", node, d.value(reflect.ValueOf(*c.Entry))))
		}
	}
	if f.show["hooks"] {
		for _, h := range r.Hooks {
			out = append(out, fmt.Sprintf("%s hook %s%s", node, h.Kind, d.fields(reflect.ValueOf(h), "Kind")))
		}
	}
	return out
}

// envelope renders a message as "from->to kind field=value ...".
func (d describer) envelope(from NodeID, e Envelope) string {
	skip := []string{"Kind", "Hub", "From"}
	if e.Msg.Inc == 1 {
		skip = append(skip, "Inc")
	}
	return fmt.Sprintf("%s->%s %s%s", from, e.To, e.Msg.Kind, d.fields(reflect.ValueOf(e.Msg), skip...))
}

func (d describer) effect(e Effect) string {
	kinds := map[EffectKind]string{EffectStart: "start", EffectStop: "stop", EffectRequestHandover: "request_handover",
		EffectDeliverHandover: "deliver_handover", EffectSignal: "signal"}
	skip := []string{"Kind", "ID"}
	if e.Spec.ID == e.ID && e.Spec.Kind == "" && len(e.Spec.Params) == 0 && e.Spec.Restart == Permanent {
		skip = append(skip, "Spec")
	}
	return fmt.Sprintf("%s %s%s", kinds[e.Kind], e.ID, d.fields(reflect.ValueOf(e), skip...))
}

func (d describer) reply(r Reply) string {
	return fmt.Sprintf("#%d %s%s", r.ID, r.Op, d.fields(reflect.ValueOf(r), "ID", "Op"))
}

// fields renders the non-zero fields of struct v, except skip, as
// " name=value ...", names in lower case.
func (d describer) fields(v reflect.Value, skip ...string) string {
	var b strings.Builder
	t := v.Type()
next:
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		for _, s := range skip {
			if f.Name == s {
				continue next
			}
		}
		if !f.IsExported() || isEmpty(v.Field(i)) {
			continue
		}
		fmt.Fprintf(&b, " %s=%s", strings.ToLower(f.Name), d.value(v.Field(i)))
	}
	return b.String()
}

var (
	instantType = reflect.TypeOf(Instant(0))
	durType     = reflect.TypeOf(time.Duration(0))
	errType     = reflect.TypeOf((*error)(nil)).Elem()
)

// value renders one value compactly: members as name#inc/status, replicas
// as node#inc:eN(:passive), specs as their id when nothing else is set,
// instants relative to base, maps with sorted keys, structs as {fields}.
func (d describer) value(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case Member:
		s := fmt.Sprintf("%s#%d/%s", x.Name, x.Incarnation, x.Status)
		if x.Addr != "" {
			s += "@" + x.Addr
		}
		return s
	case Replica:
		s := fmt.Sprintf("%s#%d:e%d", x.Node, x.Incarnation, x.Epoch)
		if !x.Active {
			s += ":passive"
		}
		return s
	case ChildSpec:
		if x.Kind == "" && len(x.Params) == 0 && x.Restart == Permanent {
			return string(x.ID)
		}
	case []byte:
		return fmt.Sprintf("%q", x)
	case Op, MemberStatus, RestartPolicy:
		return fmt.Sprint(x)
	}
	switch {
	case v.Type() == instantType:
		return "+" + Instant(v.Int()).Sub(d.base).String()
	case v.Type() == durType:
		return time.Duration(v.Int()).String()
	case v.Type().Implements(errType) && v.Kind() == reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		return fmt.Sprintf("%q", v.Interface().(error).Error())
	}
	switch v.Kind() {
	case reflect.Struct:
		return "{" + strings.TrimPrefix(d.fields(v), " ") + "}"
	case reflect.Pointer:
		if v.IsNil() {
			return "nil"
		}
		return d.value(v.Elem())
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = d.value(v.Index(i))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%v:%s", k, d.value(v.MapIndex(k)))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case reflect.String:
		s := v.String()
		if s == "" || strings.ContainsAny(s, " \t\n{}[]=") {
			return fmt.Sprintf("%q", s)
		}
		return s
	}
	return fmt.Sprint(v.Interface())
}

// filter selects which outputs a command prints.
type filter struct {
	show      map[string]bool
	hideKinds map[string]bool
}

var allOutputs = []string{"msgs", "effects", "replies", "changes", "hooks"}

func newFilter(show []string, hide []string) filter {
	f := filter{show: map[string]bool{}, hideKinds: map[string]bool{}}
	for _, s := range show {
		if s == "all" {
			for _, a := range allOutputs {
				f.show[a] = true
			}
			continue
		}
		f.show[s] = true
	}
	for _, h := range hide {
		f.hideKinds[h] = true
	}
	return f
}

// isEmpty reports a zero value or an empty slice or map.
func isEmpty(v reflect.Value) bool {
	if (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0 {
		return true
	}
	return v.IsZero()
}
