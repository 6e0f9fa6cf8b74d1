package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// DialFunc dials like net.Dialer.DialContext; target.View.Dial gives one
// that resolves and connects from a vantage point.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// PeerCertificates completes a TLS handshake with addr and returns the chain
// the server sent, whether or not it would verify: the checks judge it
// themselves, with the reason, instead of failing on a bare handshake error.
func PeerCertificates(ctx context.Context, dial DialFunc, addr, serverName string, timeout time.Duration) ([]*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pki: connect %s: %w", addr, err)
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	conn := tls.Client(raw, &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // verified by VerifyChain, with a reason
		MinVersion:         tls.VersionTLS12,
	})
	if err := conn.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("pki: tls handshake with %s: %w", addr, err)
	}
	chain := conn.ConnectionState().PeerCertificates
	if len(chain) == 0 {
		return nil, fmt.Errorf("pki: tls handshake with %s: no certificate", addr)
	}
	return chain, nil
}

// ErrCertificate wraps every certificate verdict.
var ErrCertificate = errors.New("pki: certificate")

// VerifyChain checks that chain[0] is valid at now, names name, and chains
// to roots (nil roots: the system pool) through the intermediates sent.
func VerifyChain(chain []*x509.Certificate, roots *x509.CertPool, name string, now time.Time) error {
	if len(chain) == 0 {
		return fmt.Errorf("%w: none presented", ErrCertificate)
	}
	leaf := chain[0]
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("%w of %s expired %s (subject %q)", ErrCertificate, name, leaf.NotAfter.UTC().Format(time.RFC3339), leaf.Subject.CommonName)
	}
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("%w of %s not valid before %s", ErrCertificate, name, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: strings.TrimSuffix(name, "."), CurrentTime: now})
	if err != nil {
		return fmt.Errorf("%w of %s (issuer %q): %w", ErrCertificate, name, leaf.Issuer.CommonName, err)
	}
	return nil
}

// ExpiresWithin reports whether the leaf of chain expires within d of now
// (a certificate the site must renew before the cutover).
func ExpiresWithin(chain []*x509.Certificate, now time.Time, d time.Duration) bool {
	return len(chain) > 0 && chain[0].NotAfter.Before(now.Add(d))
}

// DescribeChain renders a chain for evidence: per certificate its subject,
// issuer, validity, DNS names and SRVNames; or the error that kept the
// chain from being fetched.
func DescribeChain(chain []*x509.Certificate, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for i, c := range chain {
		fmt.Fprintf(&b, "%d subject=%q issuer=%q notBefore=%s notAfter=%s dns=%v", i, c.Subject.CommonName, c.Issuer.CommonName,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), c.DNSNames)
		if srv, _ := SRVNames(c); len(srv) > 0 {
			fmt.Fprintf(&b, " srvnames=%v", srv)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
