package xmpps2s

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/pki"
)

func TestVerifyDomain(t *testing.T) {
	ca, other := newCA(t, "Example Test Root"), newCA(t, "Other Root")
	now := time.Now()
	mk := func(ca *pki.CA, opts ...CertOption) *x509.Certificate {
		t.Helper()
		c, err := IssueCertificate(ca, "xmpp.example.com", opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf
	}
	cases := []struct {
		name string
		leaf *x509.Certificate
		at   time.Time
		form string // "" = must fail
		text string // in the error
	}{
		{"DNS-ID", mk(ca, CertDNS("example.com")), now, IdentityDNS, ""},
		{"DNS-ID case and dot", mk(ca, CertDNS("EXAMPLE.com.")), now, IdentityDNS, ""},
		{"wildcard does not cover the apex", mk(ca, CertDNS("*.example.com")), now, "", "DNS:*.example.com"},
		{"SRV-ID", mk(ca, CertSRV("_xmpp-server.example.com")), now, IdentitySRV, ""},
		{"SRV-ID of another service", mk(ca, CertSRV("_collab-edge._tls.example.com")), now, "", "SRVName:_collab-edge"},
		{"XmppAddr", mk(ca, CertXmppAddr("example.com")), now, IdentityXmppAddr, ""},
		{"DNS-ID preferred", mk(ca, CertXmppAddr("example.com"), CertDNS("example.com")), now, IdentityDNS, ""},
		{"another name", mk(ca, CertDNS("example.org"), CertXmppAddr("example.org")), now, "", "want example.com"},
		{"CN only", mk(ca), now, "", "no subjectAltName (CN xmpp.example.com)"},
		{"untrusted root", mk(other, CertDNS("example.com")), now, "", "unknown authority"},
		{"expired by the clock", mk(ca, CertDNS("example.com")), now.Add(2 * 365 * 24 * time.Hour), "", "expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := VerifyDomain([]*x509.Certificate{tc.leaf}, ca.Pool(), "example.com", tc.at)
			if tc.form == "" {
				if !errors.Is(err, ErrCertificate) || !strings.Contains(err.Error(), tc.text) {
					t.Fatalf("err = %v, want ErrCertificate mentioning %q", err, tc.text)
				}
				return
			}
			if err != nil || id.Form != tc.form {
				t.Fatalf("identity %v err %v, want %s", id, err, tc.form)
			}
		})
	}
	if _, err := VerifyDomain(nil, ca.Pool(), "example.com", now); !errors.Is(err, ErrCertificate) {
		t.Errorf("no chain: %v", err)
	}
	if _, err := VerifyDomain([]*x509.Certificate{mk(ca, CertDNS("example.com"))}, nil, "example.com", now); !errors.Is(err, ErrCertificate) {
		t.Errorf("no roots: %v", err)
	}
}

func TestWildcardDNSID(t *testing.T) {
	for _, tc := range []struct {
		presented, domain string
		ok                bool
	}{
		{"*.example.com", "chat.example.com", true},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "example.com", false},
		{"*.*.example.com", "a.b.example.com", false},
		{"*", "example", false},
		{"ex*.example.com", "exa.example.com", false},
	} {
		if got := dnsMatch(tc.presented, tc.domain); got != tc.ok {
			t.Errorf("dnsMatch(%q, %q) = %v", tc.presented, tc.domain, got)
		}
	}
}

func TestCertNamesRoundTrip(t *testing.T) {
	ca := newCA(t, "Example Test Root")
	c, err := IssueCertificate(ca, "example.com", CertDNS("example.com", "xmpp.example.com"),
		CertSRV("_xmpp-server.example.com"), CertXmppAddr("example.com", "ünïcode.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := CertNames(c.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.DNS, []string{"example.com", "xmpp.example.com"}) || !slices.Equal(n.SRV, []string{"_xmpp-server.example.com"}) ||
		!slices.Equal(n.XmppAddr, []string{"example.com", "ünïcode.example.com"}) {
		t.Fatalf("names %+v", n)
	}
	// crypto/x509 still parses and verifies it (the SAN is well formed).
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "xmpp.example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair(pemCert(c), pemKey(t, c)); err != nil {
		t.Fatal(err)
	}
}

func TestParseXmppAddrsInvalid(t *testing.T) {
	for name, der := range map[string][]byte{
		"empty":         {},
		"not sequence":  {0x04, 0x00},
		"trailing":      {0x30, 0x00, 0x00},
		"truncated":     {0x30, 0x05, 0xa0, 0x03},
		"bad othername": {0x30, 0x04, 0xa0, 0x02, 0x05, 0x00},
		"xmppaddr not utf8": append([]byte{0x30, 0x13, 0xa0, 0x11, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x05,
			0xa0, 0x05, 0x16, 0x03}, []byte("abc")...),
	} {
		if _, err := parseXmppAddrs(der); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// FuzzXmppAddrs feeds raw subjectAltName values to the otherName parser:
// it never panics, its errors wrap ErrCertificate, and what it returns
// re-encodes to a SAN that parses to the same names.
func FuzzXmppAddrs(f *testing.F) {
	f.Add([]byte{0x30, 0x00})
	for _, opts := range [][]CertOption{
		{CertXmppAddr("example.com")},
		{CertDNS("example.com"), CertSRV("_xmpp-server.example.com"), CertXmppAddr("example.com", "example.net")},
	} {
		var cfg certConfig
		for _, o := range opts {
			o(&cfg)
		}
		ext, err := marshalSAN(cfg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ext.Value)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		addrs, err := parseXmppAddrs(der)
		if err != nil {
			if !errors.Is(err, ErrCertificate) {
				t.Fatalf("parseXmppAddrs: error %v does not wrap ErrCertificate", err)
			}
			return
		}
		valid := slices.DeleteFunc(slices.Clone(addrs), func(s string) bool { return !utf8Valid(s) })
		if len(valid) != len(addrs) {
			return // asn1 accepted a non-UTF-8 UTF8String; nothing to re-encode
		}
		ext, err := marshalSAN(certConfig{xmpp: addrs})
		if err != nil {
			t.Fatalf("re-encode %q: %v", addrs, err)
		}
		again, err := parseXmppAddrs(ext.Value)
		if err != nil || !slices.Equal(again, addrs) {
			t.Fatalf("re-parse %q: %q, %v", addrs, again, err)
		}
	})
}
