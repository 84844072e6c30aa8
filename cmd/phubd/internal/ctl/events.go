package ctl

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// followRetries bounds consecutive failed reconnects of events --follow.
const followRetries = 5

func eventsCmd(c *command) func([]string) error {
	since := c.fs.Uint64("since", 0, "only events after this sequence number (--follow default: only new events)")
	follow := c.fs.Bool("follow", false, "stream events as they happen (the dashboard's stream), until interrupted")
	max := c.fs.Int("n", 0, "exit after printing this many events (0: no limit)")
	return func(args []string) error {
		if len(args) > 0 {
			return usageError{"no arguments expected"}
		}
		if *max < 0 {
			return usageError{"-n: must be >= 0"}
		}
		p := &eventPrinter{c: c, max: *max}
		if !*follow {
			var out adminapi.EventsResponse
			json := c.json
			c.json = false // one JSON object per line, like --follow
			err := c.call("GET", "/v1/events?since="+strconv.FormatUint(*since, 10), nil, &out)
			c.json = json
			if err != nil {
				return err
			}
			if out.Lost > 0 {
				p.lost(out.Lost)
			}
			for _, ev := range out.Events {
				if p.print(ev) {
					break
				}
			}
			return nil
		}
		sinceSet := false
		c.fs.Visit(func(f *flag.Flag) { sinceSet = sinceSet || f.Name == "since" })
		return c.follow(p, *since, sinceSet)
	}
}

// eventPrinter prints events as a table row or a JSON line and counts
// them against -n.
type eventPrinter struct {
	c       *command
	max     int
	printed int
}

// print prints ev and reports whether -n is reached.
func (p *eventPrinter) print(ev adminapi.Event) bool {
	if p.c.json {
		b, _ := json.Marshal(ev)
		fmt.Fprintf(p.c.stdout, "%s\n", b)
	} else {
		fmt.Fprintf(p.c.stdout, "%d\t%s\t%s\t%s\n", ev.Seq, ev.Time.Local().Format("15:04:05.000"), ev.Kind, ev.Summary)
	}
	p.printed++
	return p.max > 0 && p.printed >= p.max
}

func (p *eventPrinter) lost(n uint64) {
	if p.c.json {
		fmt.Fprintf(p.c.stdout, "{\"lost\":%d}\n", n)
	} else {
		fmt.Fprintf(p.c.stdout, "(%d earlier events are no longer kept by the node)\n", n)
	}
}

// follow reads the node's event stream (Server-Sent Events), printing
// every event; when the stream ends it reconnects from the last event it
// printed, so nothing kept by the node is missed.
func (c *command) follow(p *eventPrinter, since uint64, sinceSet bool) error {
	hc := &http.Client{} // no timeout: the stream is endless
	last, fails := since, 0
	for {
		q := ""
		if sinceSet || last > 0 {
			q = "?since=" + strconv.FormatUint(last, 10)
		}
		done, err := c.stream(hc, "/v1/events/stream"+q, p, &last)
		if done {
			return nil
		}
		if err != nil {
			var he httpError
			if asHTTPError(err, &he) && he.status/100 == 4 {
				return err // a wrong token will not get better
			}
			fails++
			if fails > followRetries {
				return fmt.Errorf("event stream: %w (gave up after %d reconnects)", err, followRetries)
			}
			fmt.Fprintf(c.stderr, "phubd ctl events: %v; reconnecting\n", err)
			time.Sleep(time.Second)
			continue
		}
		fails = 0
		sinceSet = true
	}
}

type httpError struct {
	status int
	msg    string
}

func (e httpError) Error() string { return e.msg }

func asHTTPError(err error, out *httpError) bool {
	he, ok := err.(httpError)
	if ok {
		*out = he
	}
	return ok
}

// stream reads one connection of the event stream. done is true once -n
// events were printed.
func (c *command) stream(hc *http.Client, path string, p *eventPrinter, last *uint64) (done bool, err error) {
	base := c.client.Addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequest("GET", strings.TrimSuffix(base, "/")+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.client.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.client.Token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e adminapi.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return false, httpError{resp.StatusCode, fmt.Sprintf("HTTP %d %s: %s", resp.StatusCode, e.Code, e.Error)}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var kind, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			switch kind {
			case "hook":
				var ev adminapi.Event
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					return false, fmt.Errorf("event stream: bad event %q: %w", data, err)
				}
				*last = ev.Seq
				if p.print(ev) {
					return true, nil
				}
			case "lost":
				n, _ := strconv.ParseUint(data, 10, 64)
				p.lost(n)
			}
			kind, data = "", ""
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("event stream: %w", err)
	}
	return false, nil // the node ended the stream: resume
}
