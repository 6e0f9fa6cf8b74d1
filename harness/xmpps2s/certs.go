package xmpps2s

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/cutover/harness/pki"
)

// Identity forms a certificate can prove a domain with (RFC 6125 §6,
// RFC 6120 §13.7.1.2, RFC 7590 §3).
const (
	IdentityDNS      = "DNS-ID"   // dNSName SAN, e.g. example.com or *.example.com
	IdentitySRV      = "SRV-ID"   // RFC 4985 SRVName _xmpp-server.example.com
	IdentityXmppAddr = "XmppAddr" // id-on-xmppAddr otherName example.com
)

// Identity is the reference identifier a certificate matched.
type Identity struct {
	Form string // IdentityDNS, IdentitySRV or IdentityXmppAddr
	Name string // the presented identifier that matched
}

func (i Identity) String() string {
	if i.Form == "" {
		return "none"
	}
	return i.Form + " " + i.Name
}

// Names is every identifier a certificate presents, by form.
type Names struct {
	DNS, SRV, XmppAddr []string
	CN                 string
}

func (n Names) String() string {
	var parts []string
	for _, d := range n.DNS {
		parts = append(parts, "DNS:"+d)
	}
	for _, s := range n.SRV {
		parts = append(parts, "SRVName:"+s)
	}
	for _, x := range n.XmppAddr {
		parts = append(parts, "XmppAddr:"+x)
	}
	if len(parts) == 0 {
		return "no subjectAltName (CN " + n.CN + ")"
	}
	return strings.Join(parts, ", ")
}

func oidXmppAddr() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 5} }
func oidSRVName() asn1.ObjectIdentifier  { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7} }
func oidSAN() asn1.ObjectIdentifier      { return asn1.ObjectIdentifier{2, 5, 29, 17} }

// CertNames reads the identifiers of cert; a SAN extension that does not
// parse is an error wrapping ErrCertificate.
func CertNames(cert *x509.Certificate) (Names, error) {
	n := Names{DNS: slices.Clone(cert.DNSNames), CN: cert.Subject.CommonName}
	srv, err := pki.SRVNames(cert)
	if err != nil {
		return n, fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	n.SRV = srv
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidSAN()) {
			x, err := parseXmppAddrs(ext.Value)
			if err != nil {
				return n, fmt.Errorf("%w: %w", ErrCertificate, err)
			}
			n.XmppAddr = x
		}
	}
	return n, nil
}

// parseXmppAddrs returns the id-on-xmppAddr otherNames (UTF8String,
// RFC 6120 §13.7.1.4) of a DER subjectAltName extension value; other
// entries are skipped, a malformed XmppAddr is an error.
func parseXmppAddrs(der []byte) ([]string, error) {
	var names []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &names)
	if err != nil {
		return nil, fmt.Errorf("%w: subjectAltName: %w", ErrCertificate, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: subjectAltName: trailing data", ErrCertificate)
	}
	var out []string
	for _, gn := range names {
		if gn.Class != asn1.ClassContextSpecific || gn.Tag != 0 {
			continue
		}
		if !gn.IsCompound {
			return nil, fmt.Errorf("%w: otherName: not constructed", ErrCertificate)
		}
		var oid asn1.ObjectIdentifier
		rest, err := asn1.Unmarshal(gn.Bytes, &oid)
		if err != nil {
			return nil, fmt.Errorf("%w: otherName type-id: %w", ErrCertificate, err)
		}
		if !oid.Equal(oidXmppAddr()) {
			continue
		}
		var val asn1.RawValue
		if rest, err = asn1.Unmarshal(rest, &val); err != nil {
			return nil, fmt.Errorf("%w: id-on-xmppAddr value: %w", ErrCertificate, err)
		}
		if len(rest) != 0 || val.Class != asn1.ClassContextSpecific || val.Tag != 0 || !val.IsCompound {
			return nil, fmt.Errorf("%w: id-on-xmppAddr value: want [0] EXPLICIT", ErrCertificate)
		}
		var str asn1.RawValue
		if rest, err = asn1.Unmarshal(val.Bytes, &str); err != nil {
			return nil, fmt.Errorf("%w: id-on-xmppAddr: %w", ErrCertificate, err)
		}
		if len(rest) != 0 || str.Class != asn1.ClassUniversal || str.Tag != asn1.TagUTF8String || !utf8.Valid(str.Bytes) {
			return nil, fmt.Errorf("%w: id-on-xmppAddr: want UTF8String", ErrCertificate)
		}
		out = append(out, string(str.Bytes))
	}
	return out, nil
}

// VerifyDomain checks a peer's certificate chain (leaf first) for domain:
// it must chain to roots at time now (any extended key usage: s2s peers
// present the same certificate as TLS client and server) and present
// domain as a DNS-ID (wildcard only in the left-most label, matching one
// label), an SRV-ID _xmpp-server.domain or _xmpps-server.domain, or an
// XmppAddr, in that order of preference. CN is never used (RFC 6125 §6.4.4
// allows it only without SANs; RFC 7590 §3 says XMPP uses the SAN forms).
// Errors wrap ErrCertificate and list what the certificate presents.
func VerifyDomain(chain []*x509.Certificate, roots *x509.CertPool, domain string, now time.Time) (Identity, error) {
	if len(chain) == 0 {
		return Identity{}, fmt.Errorf("%w: no certificate presented", ErrCertificate)
	}
	leaf := chain[0]
	if roots == nil {
		return Identity{}, fmt.Errorf("%w: no trust roots configured", ErrCertificate)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return Identity{}, fmt.Errorf("%w: %s: %w", ErrCertificate, leaf.Subject.CommonName, err)
	}
	return MatchDomain(leaf, domain)
}

// MatchDomain is the identity half of VerifyDomain, without the chain.
func MatchDomain(leaf *x509.Certificate, domain string) (Identity, error) {
	names, err := CertNames(leaf)
	if err != nil {
		return Identity{}, err
	}
	want := normDomain(domain)
	for _, d := range names.DNS {
		if dnsMatch(normDomain(d), want) {
			return Identity{Form: IdentityDNS, Name: d}, nil
		}
	}
	for _, s := range names.SRV {
		n := normDomain(s)
		if n == "_xmpp-server."+want || n == "_xmpps-server."+want {
			return Identity{Form: IdentitySRV, Name: s}, nil
		}
	}
	for _, x := range names.XmppAddr {
		if normDomain(x) == want {
			return Identity{Form: IdentityXmppAddr, Name: x}, nil
		}
	}
	return Identity{}, fmt.Errorf("%w: want %s, certificate presents %s", ErrCertificate, want, names)
}

func normDomain(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

// dnsMatch compares a presented DNS-ID with the domain; "*.example.com"
// matches "chat.example.com" only (RFC 6125 §6.4.3).
func dnsMatch(presented, domain string) bool {
	if presented == domain {
		return true
	}
	rest, ok := strings.CutPrefix(presented, "*.")
	if !ok || rest == "" || strings.Contains(rest, "*") {
		return false
	}
	label, parent, ok := strings.Cut(domain, ".")
	return ok && label != "" && parent == rest
}

// CertOption adds identifiers to a certificate from IssueCertificate.
type CertOption func(*certConfig)

type certConfig struct {
	dns, srv, xmpp      []string
	ips                 []net.IP
	notBefore, notAfter time.Time
}

// CertDNS adds dNSName entries (DNS-IDs).
func CertDNS(names ...string) CertOption {
	return func(c *certConfig) { c.dns = append(c.dns, names...) }
}

// CertSRV adds RFC 4985 SRVName entries such as "_xmpp-server.example.com".
func CertSRV(names ...string) CertOption {
	return func(c *certConfig) { c.srv = append(c.srv, names...) }
}

// CertXmppAddr adds id-on-xmppAddr otherName entries (RFC 6120 §13.7.1.4),
// which harness/pki cannot write.
func CertXmppAddr(addrs ...string) CertOption {
	return func(c *certConfig) { c.xmpp = append(c.xmpp, addrs...) }
}

// CertIPs adds iPAddress entries.
func CertIPs(ips ...net.IP) CertOption {
	return func(c *certConfig) { c.ips = append(c.ips, ips...) }
}

// CertValidity sets the validity window (default one hour ago for a year).
func CertValidity(notBefore, notAfter time.Time) CertOption {
	return func(c *certConfig) { c.notBefore, c.notAfter = notBefore, notAfter }
}

// IssueCertificate signs a leaf for an XMPP server with ca, with server and
// client auth usages (an s2s peer is both) and the identifiers given; it
// exists because pki.Issue cannot write id-on-xmppAddr. Without options the
// leaf has only the common name.
func IssueCertificate(ca *pki.CA, commonName string, opts ...CertOption) (tls.Certificate, error) {
	now := time.Now()
	cfg := certConfig{notBefore: now.Add(-time.Hour), notAfter: now.Add(365 * 24 * time.Hour)}
	for _, o := range opts {
		o(&cfg)
	}
	if ca == nil {
		return tls.Certificate{}, fmt.Errorf("xmpps2s: issue %s: nil CA", commonName)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("xmpps2s: issue %s: %w", commonName, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("xmpps2s: issue %s: %w", commonName, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    cfg.notBefore,
		NotAfter:     cfg.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if len(cfg.dns)+len(cfg.srv)+len(cfg.xmpp)+len(cfg.ips) > 0 {
		ext, err := marshalSAN(cfg)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("xmpps2s: issue %s: %w", commonName, err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{ext}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("xmpps2s: issue %s: %w", commonName, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("xmpps2s: issue %s: %w", commonName, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func marshalSAN(cfg certConfig) (pkix.Extension, error) {
	var raw []asn1.RawValue
	for _, d := range cfg.dns {
		raw = append(raw, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(d)})
	}
	for _, ip := range cfg.ips {
		b := ip.To4()
		if b == nil {
			b = ip.To16()
		}
		raw = append(raw, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: b})
	}
	// otherName ::= [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
	other := func(oid asn1.ObjectIdentifier, value []byte) (asn1.RawValue, error) {
		o, err := asn1.Marshal(oid)
		if err != nil {
			return asn1.RawValue{}, err
		}
		v, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: value})
		if err != nil {
			return asn1.RawValue{}, err
		}
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: append(o, v...)}, nil
	}
	for _, s := range cfg.srv {
		v, err := asn1.MarshalWithParams(s, "ia5")
		if err != nil {
			return pkix.Extension{}, fmt.Errorf("SRVName %q: %w", s, err)
		}
		rv, err := other(oidSRVName(), v)
		if err != nil {
			return pkix.Extension{}, err
		}
		raw = append(raw, rv)
	}
	for _, x := range cfg.xmpp {
		if !utf8.ValidString(x) {
			return pkix.Extension{}, fmt.Errorf("XmppAddr %q is not UTF-8", x)
		}
		v, err := asn1.MarshalWithParams(x, "utf8")
		if err != nil {
			return pkix.Extension{}, fmt.Errorf("XmppAddr %q: %w", x, err)
		}
		rv, err := other(oidXmppAddr(), v)
		if err != nil {
			return pkix.Extension{}, err
		}
		raw = append(raw, rv)
	}
	b, err := asn1.Marshal(raw)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidSAN(), Value: b}, nil
}
