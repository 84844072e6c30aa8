package transport

import (
	"context"
	"crypto/tls"
	"net"
)

// TLS is optional: with TCPConfig.TLS set, every connection runs a TLS
// handshake first and the phub handshake inside it. TLS gives encryption
// and, with certificates, identity; the phub handshake still checks the hub
// id and the cluster secret, so both layers must agree.

// serverTLS wraps an accepted connection and completes the TLS handshake.
func serverTLS(ctx context.Context, conn net.Conn, cfg *tls.Config) (net.Conn, error) {
	tc := tls.Server(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// clientTLS wraps a dialed connection to addr and completes the TLS
// handshake. An empty ServerName becomes the host part of addr.
func clientTLS(ctx context.Context, conn net.Conn, cfg *tls.Config, addr string) (net.Conn, error) {
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}
