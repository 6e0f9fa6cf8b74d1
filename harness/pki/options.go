package pki

import (
	"crypto"
	"net"
	"time"
)

// LeafOption configures a leaf from Issue.
type LeafOption func(*leafConfig)

type leafConfig struct {
	dns                 []string
	ips                 []net.IP
	srv                 []string
	notBefore, notAfter time.Time
	rsaBits             int
	key                 crypto.Signer
}

func defaultLeafConfig() leafConfig {
	now := time.Now()
	return leafConfig{notBefore: now.Add(-backdate), notAfter: now.Add(leafValidity)}
}

// WithDNSNames adds dNSName SAN entries.
func WithDNSNames(names ...string) LeafOption {
	return func(c *leafConfig) { c.dns = append(c.dns, names...) }
}

// WithIPs adds iPAddress SAN entries, e.g. 127.0.0.1 for a fake dialled by
// address.
func WithIPs(ips ...net.IP) LeafOption {
	return func(c *leafConfig) { c.ips = append(c.ips, ips...) }
}

// WithSRVNames adds RFC 4985 SRVName otherName entries such as
// "_collab-edge._tls.example.com".
func WithSRVNames(names ...string) LeafOption {
	return func(c *leafConfig) { c.srv = append(c.srv, names...) }
}

// WithValidity sets the validity window; use a past window for an expired
// certificate.
func WithValidity(notBefore, notAfter time.Time) LeafOption {
	return func(c *leafConfig) { c.notBefore, c.notAfter = notBefore, notAfter }
}

// WithRSAKey gives the leaf an RSA key of bits instead of the default ECDSA
// P-256 one: signing keys whose users speak RSA only (SAML's RSA-SHA256,
// RS256 JWTs).
func WithRSAKey(bits int) LeafOption {
	return func(c *leafConfig) { c.rsaBits = bits }
}

// WithKey gives the leaf key instead of a fresh one (WithRSAKey is then
// ignored): a caller that issues many certificates for one signing key
// generates the key once.
func WithKey(key crypto.Signer) LeafOption {
	return func(c *leafConfig) { c.key = key }
}
