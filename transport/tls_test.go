package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// testPKI is a CA plus a helper to issue leaf certificates from it.
type testPKI struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "phub test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testPKI{cert: cert, key: key, pool: pool}
}

// leaf issues a certificate valid for 127.0.0.1 as server and client.
func (p *testPKI) leaf(t *testing.T, name string, serial int64) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func tlsPair(t *testing.T, mutual bool) (*TCP, *TCP) {
	pki := newTestPKI(t)
	mk := func(name string, serial int64) *TCP {
		cfg := testConfig(core.NodeID("n" + name))
		cfg.TLS = &tls.Config{
			Certificates: []tls.Certificate{pki.leaf(t, name, serial)},
			RootCAs:      pki.pool,
			MinVersion:   tls.VersionTLS13,
		}
		if mutual {
			cfg.TLS.ClientCAs = pki.pool
			cfg.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		}
		return newTestTCP(t, cfg)
	}
	return mk("1", 2), mk("2", 3)
}

func testTLSRoundtrip(t *testing.T, mutual bool) {
	checkNoLeak(t)
	a, b := tlsPair(t, mutual)
	a.SetAddress("n2", b.Addr())
	b.SetAddress("n1", a.Addr())
	if err := a.Send("n2", heartbeat("n1", 1)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.From != "n1" {
		t.Fatalf("got %+v", in)
	}
	if err := b.Send("n1", heartbeat("n2", 2)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, a, 5*time.Second); in.From != "n2" || in.Msg.Seq != 2 {
		t.Fatalf("got %+v", in)
	}
}

func TestTLSRoundtrip(t *testing.T)  { testTLSRoundtrip(t, false) }
func TestMTLSRoundtrip(t *testing.T) { testTLSRoundtrip(t, true) }

func TestMTLSRejectsClientWithoutCert(t *testing.T) {
	checkNoLeak(t)
	pki := newTestPKI(t)
	logs := &logRecorder{}
	scfg := testConfig("s")
	scfg.Logger = slog.New(logs)
	scfg.TLS = &tls.Config{
		Certificates: []tls.Certificate{pki.leaf(t, "s", 2)},
		ClientCAs:    pki.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	s := newTestTCP(t, scfg)
	ccfg := testConfig("c")
	ccfg.TLS = &tls.Config{RootCAs: pki.pool} // no client certificate
	c := newTestTCP(t, ccfg)
	c.SetAddress("s", s.Addr())
	if err := c.Send("s", heartbeat("c", 1)); err != nil {
		t.Fatal(err)
	}
	logs.waitWarn(t, "tls handshake failed")
	expectNothing(t, s, 100*time.Millisecond)

	// A plaintext client cannot talk to a TLS server either.
	p := newTestTCP(t, testConfig("p"))
	p.SetAddress("s", s.Addr())
	p.Send("s", heartbeat("p", 1))
	expectNothing(t, s, 100*time.Millisecond)
}
