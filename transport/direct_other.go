//go:build !unix

package transport

import "syscall"

// directWrites is false here: frames always go through the peer's writer
// goroutine (direct.go).
const directWrites = false

func writeNonBlocking(syscall.RawConn, []byte) (int, error) { return 0, nil }
