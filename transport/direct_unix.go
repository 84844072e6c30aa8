//go:build unix

package transport

import "syscall"

// directWrites is true where a socket can be written without blocking
// through its file descriptor (direct.go).
const directWrites = true

// writeNonBlocking makes one write(2) of b to raw's socket, which Go
// keeps non-blocking, retrying only on EINTR. It returns the bytes the
// socket took (0 when its buffer is full: EAGAIN).
func writeNonBlocking(raw syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true // done: never wait for the socket to be writable
			}
		}
	})
	if n < 0 {
		n = 0
	}
	if err != nil {
		return n, err
	}
	return n, werr
}
