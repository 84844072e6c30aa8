//go:build !unix

package transport

import "syscall"

// directWrites is false here: frames always go through the peer's writer
// goroutine (direct.go).
const directWrites = false

// fdWriter makes no writes here (directWrites is false).
type fdWriter struct{}

func (*fdWriter) writeNonBlocking(syscall.RawConn, []byte) (int, error) { return 0, nil }
