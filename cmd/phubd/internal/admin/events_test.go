package admin

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

func TestJournalKeepsTheLastEventsAndCountsLost(t *testing.T) {
	j := &journal{buf: make([]adminapi.Event, 0, 4), next: 1, subs: map[*subscriber]struct{}{}}
	for i := 0; i < 6; i++ {
		j.publish(adminapi.Event{Kind: fmt.Sprint(i)})
	}
	evs, lost, last := j.since(0, 0)
	if last != 6 || lost != 2 || len(evs) != 4 || evs[0].Seq != 3 || evs[3].Seq != 6 || evs[0].Kind != "2" {
		t.Fatalf("since 0: lost %d last %d %+v", lost, last, evs)
	}
	evs, lost, _ = j.since(4, 1)
	if lost != 0 || len(evs) != 1 || evs[0].Seq != 5 {
		t.Fatalf("since 4 limit 1: lost %d %+v", lost, evs)
	}
	if evs, _, _ := j.since(6, 0); len(evs) != 0 {
		t.Fatalf("nothing after the last: %+v", evs)
	}
	// A subscriber that falls behind is dropped, not blocked on.
	_, _, s := j.subscribe(6)
	for i := 0; i < subscriberBuffer+1; i++ {
		j.publish(adminapi.Event{})
	}
	select {
	case <-s.overflow:
	default:
		t.Fatal("a subscriber behind by more than its buffer is still subscribed")
	}
	if len(s.ch) != subscriberBuffer {
		t.Fatalf("the dropped subscriber keeps what was queued: %d", len(s.ch))
	}
}

func TestEventsListAndStream(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	a := nodes[0]
	waitFor(t, "join event", func() bool {
		_, body := call(t, a, "GET", "/v1/events", "")
		return strings.Contains(body, `"summary": "n2 joined"`)
	})
	st, body := callTok(t, a, "GET", "/v1/events", "", "")
	expect(t, st, body, http.StatusUnauthorized, "missing bearer token")
	st, body = call(t, a, "GET", "/v1/events?limit=0", "")
	expect(t, st, body, http.StatusBadRequest, "limit: want an integer")
	st, body = call(t, a, "GET", "/v1/events?sinse=1", "")
	expect(t, st, body, http.StatusBadRequest, `unknown query parameter \"sinse\"`)

	req, _ := http.NewRequest("GET", a.srv.URL+"/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	got := make(chan adminapi.Event, 100)
	go func() {
		defer close(got)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev adminapi.Event
				if json.Unmarshal([]byte(data), &ev) == nil {
					got <- ev
				}
			}
		}
	}()
	st, body = call(t, a, "POST", "/v1/children", `{"specs":[{"id":"live-1","kind":"counter"}],"await":true}`)
	expect(t, st, body, 200, `"ok": true`)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-got:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev.Kind == string(core.HookPostClusterJoin) {
				t.Fatalf("a stream without since replays old events: %+v", ev)
			}
			if ev.Kind == string(core.HookRegistryInsert) && len(ev.IDs) == 1 && ev.IDs[0] == "live-1" {
				if !strings.Contains(ev.Summary, "live-1 runs on n") || ev.Seq == 0 {
					t.Fatalf("event: %+v", ev)
				}
				return
			}
		case <-deadline:
			t.Fatal("no registry insert of live-1 on the stream")
		}
	}
}

// A reconnecting client (Last-Event-ID) gets what it missed.
func TestEventStreamResumes(t *testing.T) {
	a := newCluster(t, 2, nil)[0]
	waitFor(t, "two events", func() bool {
		_, body := call(t, a, "GET", "/v1/events", "")
		return decodeAs[adminapi.EventsResponse](t, body).Last >= 2
	})
	req, _ := http.NewRequest("GET", a.srv.URL+"/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			if id != "2" {
				t.Fatalf("first event after Last-Event-ID 1 is %s", id)
			}
			return
		}
	}
	t.Fatal("stream ended before any event")
}

// CloseStreams ends open event streams and refuses new ones, so an HTTP
// server's Shutdown does not wait for a dashboard left open.
func TestCloseStreamsEndsStreams(t *testing.T) {
	a := newCluster(t, 1, nil)[0]
	req, _ := http.NewRequest("GET", a.srv.URL+"/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(ended)
	}()
	a.s().CloseStreams()
	a.s().CloseStreams() // twice is fine
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the stream is still open after CloseStreams")
	}
	st, body := call(t, a, "GET", "/v1/events/stream", "")
	expect(t, st, body, http.StatusServiceUnavailable, "shutting_down")
}
