//go:build !linux

package transport

import (
	"errors"
	"net"
	"time"
)

// setUserTimeout is a no-op where TCP_USER_TIMEOUT does not exist; TCP
// keepalive and the runtime's ResetPeer still bound a dead connection.
func setUserTimeout(*net.TCPConn, time.Duration) error { return nil }

// userTimeout is not available on this platform (tests skip).
func userTimeout(*net.TCPConn) (time.Duration, error) {
	return 0, errors.ErrUnsupported
}
