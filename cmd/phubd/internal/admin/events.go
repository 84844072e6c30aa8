package admin

import (
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"strings"
	"sync"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// journalSize bounds the events a node keeps for GET /v1/events and for
// streams that resume after a reconnect.
const journalSize = 1000

// maxEventIDs bounds the child ids one event carries (a start of 100,000
// children is one hook); adminapi.Event.Count says how many there were.
const maxEventIDs = 20

// subscriberBuffer bounds the events waiting for one stream's writer; a
// stream that falls further behind is ended and its client resumes from
// the journal (EventSource does so by itself with Last-Event-ID).
const subscriberBuffer = 256

// maxSubscribers bounds concurrent event streams.
const maxSubscribers = 64

// journal keeps the last events of a node and feeds live streams.
type journal struct {
	mu   sync.Mutex
	buf  []adminapi.Event // ring of the last cap(buf) events
	next uint64           // seq of the next event
	subs map[*subscriber]struct{}
	// taps see every hook in full (all ids), in order, on the hub's hook
	// goroutine; set before the first hook.
	taps []func(core.Hook, time.Time)
}

type subscriber struct {
	ch chan adminapi.Event
	// overflow is closed when the subscriber fell behind and was dropped.
	overflow chan struct{}
}

func newJournal(h *phub.Hub, size int, taps ...func(core.Hook, time.Time)) (*journal, error) {
	j := &journal{buf: make([]adminapi.Event, 0, size), next: 1, subs: map[*subscriber]struct{}{}, taps: taps}
	for _, k := range core.AllHooks {
		if err := h.RegisterHook(k, "phubd-events", j.hook); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func (j *journal) hook(hk core.Hook) {
	now := time.Now().UTC()
	for _, t := range j.taps {
		t(hk, now)
	}
	ev := adminapi.Event{Time: now, Kind: string(hk.Kind), Node: string(hk.Node), Detail: hk.Detail, Count: len(hk.IDs)}
	for i, id := range hk.IDs {
		if i == maxEventIDs {
			break
		}
		ev.IDs = append(ev.IDs, string(id))
	}
	ev.Summary = summarize(hk)
	j.publish(ev)
}

// publish numbers ev, keeps it and hands it to every stream.
func (j *journal) publish(ev adminapi.Event) {
	j.mu.Lock()
	ev.Seq = j.next
	j.next++
	if len(j.buf) < cap(j.buf) {
		j.buf = append(j.buf, ev)
	} else {
		j.buf[int((ev.Seq-1)%uint64(cap(j.buf)))] = ev
	}
	for s := range j.subs {
		select {
		case s.ch <- ev:
		default:
			delete(j.subs, s)
			close(s.overflow)
		}
	}
	j.mu.Unlock()
}

// since returns the kept events with Seq > after (at most limit, oldest
// first), how many of them the journal no longer holds, and the last seq.
func (j *journal) since(after uint64, limit int) (evs []adminapi.Event, lost, last uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sinceLocked(after, limit)
}

func (j *journal) sinceLocked(after uint64, limit int) (evs []adminapi.Event, lost, last uint64) {
	last = j.next - 1
	if after >= last {
		return nil, 0, last
	}
	oldest := j.next - uint64(len(j.buf)) // seq of the oldest kept event
	from := after + 1
	if from < oldest {
		lost = oldest - from
		from = oldest
	}
	for seq := from; seq <= last && (limit <= 0 || len(evs) < limit); seq++ {
		evs = append(evs, j.buf[int((seq-1)%uint64(cap(j.buf)))])
	}
	return evs, lost, last
}

// subscribe returns the kept events after `after` and a subscriber that
// receives every later one; nil when maxSubscribers streams are open.
func (j *journal) subscribe(after uint64) ([]adminapi.Event, uint64, *subscriber) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.subs) >= maxSubscribers {
		return nil, 0, nil
	}
	evs, lost, _ := j.sinceLocked(after, 0)
	s := &subscriber{ch: make(chan adminapi.Event, subscriberBuffer), overflow: make(chan struct{})}
	j.subs[s] = struct{}{}
	return evs, lost, s
}

func (j *journal) unsubscribe(s *subscriber) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.subs, s)
}

// summarize says a hook in words.
func summarize(hk core.Hook) string {
	ids := func() string {
		if len(hk.IDs) == 1 {
			return string(hk.IDs[0])
		}
		return fmt.Sprintf("%d children", len(hk.IDs))
	}
	// verb picks the singular or plural form for ids().
	verb := func(one, many string) string {
		if len(hk.IDs) == 1 {
			return one
		}
		return many
	}
	switch hk.Kind {
	case core.HookPostClusterJoin:
		return fmt.Sprintf("%s joined", hk.Node)
	case core.HookPostClusterLeave:
		return fmt.Sprintf("%s is %s", hk.Node, hk.Detail)
	case core.HookRegistryInsert:
		return fmt.Sprintf("%s %s on %s", ids(), verb("runs", "run"), hk.Node)
	case core.HookRegistryRemove:
		return fmt.Sprintf("%s no longer %s on %s", ids(), verb("runs", "run"), hk.Node)
	case core.HookChildrenMigrated:
		return fmt.Sprintf("%s migrated (%s)", ids(), hk.Detail)
	case core.HookPreChildrenRedist:
		return fmt.Sprintf("%s move: %s %s", ids(), hk.Node, hk.Detail)
	case core.HookPostNodesRedistribution:
		return fmt.Sprintf("redistribution done: %s %s", hk.Node, hk.Detail)
	case core.HookPriorityStateUpdated:
		return strings.ReplaceAll(hk.Detail, "_", " ")
	case core.HookChildPidUpdate:
		if hk.Detail == "restart" {
			return fmt.Sprintf("%s restarted on %s", ids(), hk.Node)
		}
		return fmt.Sprintf("%s %s a new instance on %s", ids(), verb("has", "have"), hk.Node)
	case core.HookCoordinatorShutdown:
		return fmt.Sprintf("%s is shutting down", hk.Node)
	}
	parts := []string{string(hk.Kind)}
	if hk.Node != "" {
		parts = append(parts, string(hk.Node))
	}
	if len(hk.IDs) > 0 {
		parts = append(parts, ids())
	}
	if hk.Detail != "" {
		parts = append(parts, hk.Detail)
	}
	return strings.Join(parts, " ")
}
