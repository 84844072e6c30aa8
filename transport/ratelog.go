package transport

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// maxLogSources bounds the sources a logLimiter tracks; beyond it, new
// sources share one entry (otherSources), so a scan from many addresses
// cannot grow the table.
const maxLogSources = 1024

// otherSources is the key shared by sources beyond maxLogSources.
const otherSources = "(other sources)"

// logLimiter lets one warning line through per source per interval and
// counts the rest; the next line from that source carries the count
// ("suppressed"). A hostile or misconfigured client therefore costs one
// line per interval, not one per connection.
type logLimiter struct {
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	sources map[string]*logSource
}

type logSource struct {
	last       time.Time
	suppressed int
}

func newLogLimiter(every time.Duration) *logLimiter {
	return &logLimiter{every: every, now: time.Now, sources: make(map[string]*logSource)}
}

// allow reports whether a line for source may be written now and, if so,
// how many lines from it were suppressed since the previous one.
func (l *logLimiter) allow(source string) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	s := l.sources[source]
	if s == nil && source != otherSources {
		// One entry stays free for otherSources.
		if len(l.sources) >= maxLogSources-1 {
			l.prune(now)
		}
		if len(l.sources) >= maxLogSources-1 {
			source = otherSources
			s = l.sources[source]
		}
	}
	if s == nil {
		l.sources[source] = &logSource{last: now}
		return true, 0
	}
	if now.Sub(s.last) < l.every {
		s.suppressed++
		return false, 0
	}
	n := s.suppressed
	s.last, s.suppressed = now, 0
	return true, n
}

// prune forgets sources whose interval has passed with nothing suppressed.
func (l *logLimiter) prune(now time.Time) {
	for k, s := range l.sources {
		if s.suppressed == 0 && now.Sub(s.last) >= l.every {
			delete(l.sources, k)
		}
	}
}

// warn writes msg at Warn level unless source already had a line within
// the interval; the line carries the number of suppressed lines since the
// previous one.
func (l *logLimiter) warn(log *slog.Logger, source, msg string, args ...any) {
	ok, n := l.allow(source)
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	log.Warn(msg, args...)
}

// sourceOf returns the host part of a remote address: connections from
// one client share a source whatever their port.
func sourceOf(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}
