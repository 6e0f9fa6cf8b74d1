// Package pki is a throwaway test CA for the harness fakes and the
// certificate inspection the discovery checks need: which of the accepted
// SAN forms an Expressway-E certificate carries for a discovery domain,
// including RFC 4985 SRVName otherNames that crypto/x509 cannot write or
// read.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	// caValidity is how long a test root lives.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity is the default leaf lifetime.
	leafValidity = 365 * 24 * time.Hour
	// backdate absorbs clock skew between fakes and clients.
	backdate = time.Hour

	tagOtherName = 0
	tagDNSName   = 2
	tagIPAddress = 7
)

// oidSAN and oidSRVName are functions, not variables: the package keeps
// no globals.
func oidSAN() asn1.ObjectIdentifier     { return asn1.ObjectIdentifier{2, 5, 29, 17} }
func oidSRVName() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7} }

// CA is a self-signed ECDSA P-256 root.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
}

// NewCA creates a root named name, valid from one hour ago for ten years.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: new ca: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("pki: new ca: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: new ca: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: new ca: %w", err)
	}
	return &CA{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// Pool returns a fresh pool holding only this root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue signs a leaf for commonName with server and client auth usages.
// The returned tls.Certificate has Leaf set. Without options the leaf has
// no SAN and is valid from one hour ago for a year.
func (ca *CA) Issue(commonName string, opts ...LeafOption) (tls.Certificate, error) {
	cfg := defaultLeafConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.notAfter.After(cfg.notBefore) {
		return tls.Certificate{}, fmt.Errorf("pki: issue %s: notAfter %v not after notBefore %v", commonName, cfg.notAfter, cfg.notBefore)
	}
	key := cfg.key
	var err error
	switch {
	case key != nil: // the caller's (WithKey)
	case cfg.rsaBits > 0:
		key, err = rsa.GenerateKey(rand.Reader, cfg.rsaBits)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: issue %s: %w", commonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: issue %s: %w", commonName, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    cfg.notBefore,
		NotAfter:     cfg.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if len(cfg.dns)+len(cfg.ips)+len(cfg.srv) > 0 {
		ext, err := marshalSAN(cfg.dns, cfg.ips, cfg.srv)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("pki: issue %s: %w", commonName, err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{ext}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: issue %s: %w", commonName, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: issue %s: %w", commonName, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// marshalSAN builds the whole subjectAltName extension, because
// crypto/x509 writes DNS names and IPs but not otherName.
func marshalSAN(dns []string, ips []net.IP, srv []string) (pkix.Extension, error) {
	var names []asn1.RawValue
	for _, d := range dns {
		if !isIA5(d) {
			return pkix.Extension{}, fmt.Errorf("dns name %q is not IA5", d)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagDNSName, Bytes: []byte(d)})
	}
	for _, ip := range ips {
		b := ip.To4()
		if b == nil {
			b = ip.To16()
		}
		if b == nil {
			return pkix.Extension{}, fmt.Errorf("bad ip %v", ip)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagIPAddress, Bytes: b})
	}
	for _, s := range srv {
		if !isIA5(s) || s == "" {
			return pkix.Extension{}, fmt.Errorf("srv name %q is not IA5", s)
		}
		ia5, err := asn1.MarshalWithParams(s, "ia5")
		if err != nil {
			return pkix.Extension{}, err
		}
		oid, err := asn1.Marshal(oidSRVName())
		if err != nil {
			return pkix.Extension{}, err
		}
		val, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: ia5})
		if err != nil {
			return pkix.Extension{}, err
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagOtherName, IsCompound: true, Bytes: append(oid, val...)})
	}
	b, err := asn1.Marshal(names)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidSAN(), Value: b}, nil
}

// ErrSAN wraps every reason a subjectAltName does not parse.
var ErrSAN = errors.New("pki: malformed subjectAltName")

// SRVNames returns the RFC 4985 SRVName otherNames in cert's
// subjectAltName, in certificate order; none is not an error.
func SRVNames(cert *x509.Certificate) ([]string, error) {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidSAN()) {
			names, err := parseSRVNames(ext.Value)
			if err != nil {
				return nil, err
			}
			return names, nil
		}
	}
	return nil, nil
}

// parseSRVNames walks a raw subjectAltName value. Other otherName types
// are skipped; a malformed SRVName is an error.
func parseSRVNames(der []byte) ([]string, error) {
	var names []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &names)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSAN, err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: trailing data", ErrSAN)
	}
	var out []string
	for _, gn := range names {
		if gn.Class != asn1.ClassContextSpecific || gn.Tag != tagOtherName {
			continue
		}
		if !gn.IsCompound {
			return nil, fmt.Errorf("%w: otherName not constructed", ErrSAN)
		}
		var oid asn1.ObjectIdentifier
		rest, err := asn1.Unmarshal(gn.Bytes, &oid)
		if err != nil {
			return nil, fmt.Errorf("%w: otherName type-id: %w", ErrSAN, err)
		}
		if !oid.Equal(oidSRVName()) {
			continue
		}
		var val asn1.RawValue
		rest, err = asn1.Unmarshal(rest, &val)
		if err != nil {
			return nil, fmt.Errorf("%w: srvName value: %w", ErrSAN, err)
		}
		if len(rest) > 0 || val.Class != asn1.ClassContextSpecific || val.Tag != 0 || !val.IsCompound {
			return nil, fmt.Errorf("%w: srvName value: want [0] EXPLICIT", ErrSAN)
		}
		var s asn1.RawValue
		rest, err = asn1.Unmarshal(val.Bytes, &s)
		if err != nil {
			return nil, fmt.Errorf("%w: srvName: %w", ErrSAN, err)
		}
		if len(rest) > 0 || s.Class != asn1.ClassUniversal || s.Tag != asn1.TagIA5String || !isIA5(string(s.Bytes)) {
			return nil, fmt.Errorf("%w: srvName: want IA5String", ErrSAN)
		}
		out = append(out, string(s.Bytes))
	}
	return out, nil
}

// EdgeSANForm reports which accepted form for discovery domain domain the
// certificate carries: "DNS:d", "DNS:collab-edge.d" or
// "SRVName:_collab-edge._tls.d", the first found in that order, or "" if
// none. Matching ignores case and trailing dots; wildcards do not count,
// since Expressway wants the domain itself. An unparsable SRVName counts as
// absent.
func EdgeSANForm(cert *x509.Certificate, domain string) string {
	d := normName(domain)
	if d == "" || cert == nil {
		return ""
	}
	has := func(list []string, want string) bool {
		for _, n := range list {
			if normName(n) == want {
				return true
			}
		}
		return false
	}
	if has(cert.DNSNames, d) {
		return "DNS:" + d
	}
	if has(cert.DNSNames, "collab-edge."+d) {
		return "DNS:collab-edge." + d
	}
	srv, _ := SRVNames(cert)
	if has(srv, "_collab-edge._tls."+d) {
		return "SRVName:_collab-edge._tls." + d
	}
	return ""
}

// WritePEM writes ca.pem into dir, for target files that name a trust
// root, and returns its path.
func WritePEM(dir string, ca *CA) (string, error) {
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, ca.CertPEM, 0o644); err != nil {
		return "", fmt.Errorf("pki: write pem: %w", err)
	}
	return path, nil
}

func normName(s string) string { return strings.ToLower(strings.TrimRight(s, ".")) }

func isIA5(s string) bool {
	return bytes.IndexFunc([]byte(s), func(r rune) bool { return r > 0x7f }) < 0
}

func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}
