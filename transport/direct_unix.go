//go:build unix

package transport

import "syscall"

// directWrites is true where a socket can be written without blocking
// through its file descriptor (direct.go).
const directWrites = true

// fdWriter makes non-blocking writes through a syscall.RawConn. Its
// callback is made once, so a write allocates nothing (a closure per
// write was two allocations per message). Guarded by the peer's wmu.
type fdWriter struct {
	b   []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}

// write is the RawConn callback: one write(2) of w.b, retried only on
// EINTR; always done, never waiting for the socket to be writable.
func (w *fdWriter) write(fd uintptr) bool {
	for {
		w.n, w.err = syscall.Write(int(fd), w.b)
		if w.err != syscall.EINTR {
			return true
		}
	}
}

// writeNonBlocking makes one write(2) of b to raw's socket, which Go
// keeps non-blocking, retrying only on EINTR. It returns the bytes the
// socket took (0 when its buffer is full: EAGAIN).
func (w *fdWriter) writeNonBlocking(raw syscall.RawConn, b []byte) (int, error) {
	if w.fn == nil {
		w.fn = w.write
	}
	w.b, w.n, w.err = b, 0, nil
	err := raw.Write(w.fn)
	w.b = nil
	n := max(w.n, 0)
	if err != nil {
		return n, err
	}
	return n, w.err
}
