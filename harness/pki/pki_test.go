package pki

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func newCA(t *testing.T, name string) *CA {
	t.Helper()
	ca, err := NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func verify(ca *CA, leaf *x509.Certificate, at time.Time) error {
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       ca.Pool(),
		CurrentTime: at,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func TestChainVerifies(t *testing.T) {
	ca := newCA(t, "Test Root")
	if !ca.Cert.IsCA || ca.Cert.NotAfter.Before(time.Now().Add(9*365*24*time.Hour)) {
		t.Fatalf("root: IsCA=%v NotAfter=%v", ca.Cert.IsCA, ca.Cert.NotAfter)
	}
	cert, err := ca.Issue("expe1.example.com",
		WithDNSNames("expe1.example.com"),
		WithIPs(net.ParseIP("127.0.0.1")),
		WithSRVNames("_collab-edge._tls.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf == nil {
		t.Fatal("Leaf not set")
	}
	if err := verify(ca, cert.Leaf, time.Now()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := cert.Leaf.VerifyHostname("expe1.example.com"); err != nil {
		t.Errorf("VerifyHostname dns: %v", err)
	}
	if err := cert.Leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("VerifyHostname ip: %v", err)
	}
	if !slices.Contains(cert.Leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		t.Errorf("ExtKeyUsage %v lacks client auth", cert.Leaf.ExtKeyUsage)
	}
}

func TestOtherCADoesNotVerify(t *testing.T) {
	ca, other := newCA(t, "Root A"), newCA(t, "Root B")
	cert, err := other.Issue("ucm1.example.com", WithDNSNames("ucm1.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(ca, cert.Leaf, time.Now()); err == nil {
		t.Fatal("leaf from Root B verified against Root A")
	}
}

func TestExpired(t *testing.T) {
	ca := newCA(t, "Test Root")
	now := time.Now()
	cert, err := ca.Issue("old.example.com", WithDNSNames("old.example.com"),
		WithValidity(now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	err = verify(ca, cert.Leaf, now)
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("verify expired leaf: got %v, want an expiry error", err)
	}
	if _, err := ca.Issue("bad.example.com", WithValidity(now, now.Add(-time.Hour))); err == nil {
		t.Error("inverted validity accepted")
	}
}

func TestSRVNamesRoundtrip(t *testing.T) {
	ca := newCA(t, "Test Root")
	want := []string{"_collab-edge._tls.example.com", "_collab-edge._tls.emea.example.com"}
	cert, err := ca.Issue("expe1.example.com", WithDNSNames("expe1.example.com"), WithSRVNames(want...))
	if err != nil {
		t.Fatal(err)
	}
	got, err := SRVNames(cert.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("SRVNames = %q, want %q", got, want)
	}
	if !slices.Equal(cert.Leaf.DNSNames, []string{"expe1.example.com"}) {
		t.Errorf("DNSNames = %q alongside otherNames", cert.Leaf.DNSNames)
	}
	if _, err := ca.Issue("x.example.com", WithSRVNames("_collab-edge._tls.exämple.com")); err == nil {
		t.Error("non-IA5 SRVName accepted")
	}
}

func TestSRVNamesNone(t *testing.T) {
	ca := newCA(t, "Test Root")
	cert, err := ca.Issue("plain.example.com")
	if err != nil {
		t.Fatal(err)
	}
	got, err := SRVNames(cert.Leaf)
	if err != nil || got != nil {
		t.Fatalf("SRVNames = %q, %v; want nil, nil", got, err)
	}
}

func TestEdgeSANForm(t *testing.T) {
	ca := newCA(t, "Test Root")
	tests := []struct {
		name   string
		dns    []string
		srv    []string
		domain string
		want   string
	}{
		{"bare domain", []string{"example.com"}, nil, "example.com", "DNS:example.com"},
		{"collab-edge", []string{"expe1.example.com", "collab-edge.example.com"}, nil, "example.com", "DNS:collab-edge.example.com"},
		{"srvname", []string{"expe1.example.com"}, []string{"_collab-edge._tls.example.com"}, "example.com", "SRVName:_collab-edge._tls.example.com"},
		{"dns wins over srvname", []string{"example.com"}, []string{"_collab-edge._tls.example.com"}, "example.com", "DNS:example.com"},
		{"bare wins over collab-edge", []string{"collab-edge.example.com", "example.com"}, nil, "example.com", "DNS:example.com"},
		{"case and trailing dot", []string{"COLLAB-EDGE.Example.COM."}, nil, "example.com.", "DNS:collab-edge.example.com"},
		{"srvname case", nil, []string{"_Collab-Edge._TLS.EXAMPLE.com"}, "Example.com", "SRVName:_collab-edge._tls.example.com"},
		{"host only", []string{"expe1.example.com"}, nil, "example.com", ""},
		{"wildcard does not count", []string{"*.example.com"}, nil, "example.com", ""},
		{"other domain", []string{"collab-edge.example.net"}, []string{"_collab-edge._tls.example.net"}, "example.com", ""},
		{"wrong srv service", nil, []string{"_cisco-uds._tcp.example.com"}, "example.com", ""},
		{"empty domain", []string{"example.com"}, nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := ca.Issue("expe1.example.com", WithDNSNames(tc.dns...), WithSRVNames(tc.srv...))
			if err != nil {
				t.Fatal(err)
			}
			if got := EdgeSANForm(cert.Leaf, tc.domain); got != tc.want {
				t.Errorf("EdgeSANForm(dns=%q srv=%q, %q) = %q, want %q", tc.dns, tc.srv, tc.domain, got, tc.want)
			}
		})
	}
	if got := EdgeSANForm(nil, "example.com"); got != "" {
		t.Errorf("EdgeSANForm(nil) = %q", got)
	}
}

func TestWritePEM(t *testing.T) {
	ca := newCA(t, "Test Root")
	dir := t.TempDir()
	path, err := WritePEM(dir, ca)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "ca.pem") {
		t.Errorf("path = %q", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("ca.pem does not parse")
	}
	if _, err := WritePEM(filepath.Join(dir, "missing"), ca); err == nil || !strings.HasPrefix(err.Error(), "pki: write pem: ") {
		t.Errorf("WritePEM into missing dir: %v", err)
	}
}

// TestParseSRVNamesInvalid replays the hand-made malformed extensions.
func TestParseSRVNamesInvalid(t *testing.T) {
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"not a sequence", []byte{0x04, 0x00}},
		{"trailing data", []byte{0x30, 0x00, 0x00}},
		{"primitive otherName", []byte{0x30, 0x02, 0x80, 0x00}},
		// otherName SRVName whose value is a UTF8String, not IA5String.
		{"utf8 value", []byte{0x30, 0x11, 0xa0, 0x0f, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x07, 0xa0, 0x03, 0x0c, 0x01, 0x61}},
		// otherName SRVName whose value is not [0] EXPLICIT.
		{"untagged value", []byte{0x30, 0x0f, 0xa0, 0x0d, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x07, 0x16, 0x01, 0x61}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := parseSRVNames(tc.der); err == nil {
				t.Errorf("parseSRVNames(% x) = %q, want error", tc.der, got)
			}
		})
	}
	// The well-formed twin of "utf8 value" parses.
	good := []byte{0x30, 0x11, 0xa0, 0x0f, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x07, 0xa0, 0x03, 0x16, 0x01, 0x61}
	if got, err := parseSRVNames(good); err != nil || !slices.Equal(got, []string{"a"}) {
		t.Errorf("parseSRVNames(good) = %q, %v", got, err)
	}
}

// FuzzSRVNames feeds arbitrary DER to the subjectAltName walker. It must
// never panic, every error wraps ErrSAN, and the names it returns re-encode
// to a SAN that parses to the same names.
func FuzzSRVNames(f *testing.F) {
	ext, err := marshalSAN([]string{"expe1.example.com"}, []net.IP{net.ParseIP("192.0.2.1")}, []string{"_collab-edge._tls.example.com"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ext.Value)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		names, err := parseSRVNames(der)
		if err != nil {
			if !errors.Is(err, ErrSAN) {
				t.Fatalf("parseSRVNames: error %v does not wrap ErrSAN", err)
			}
			return
		}
		if slices.Contains(names, "") {
			return
		}
		ext, err := marshalSAN(nil, nil, names)
		if len(names) == 0 {
			return
		}
		if err != nil {
			t.Fatalf("remarshal %q: %v", names, err)
		}
		again, err := parseSRVNames(ext.Value)
		if err != nil || !slices.Equal(again, names) {
			t.Fatalf("roundtrip %q: got %q, %v", names, again, err)
		}
	})
}

func TestIssueRSAKey(t *testing.T) {
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.Issue("signer", WithRSAKey(2048))
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := c.PrivateKey.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Fatalf("WithRSAKey(2048): key %T, want a 2048-bit *rsa.PrivateKey", c.PrivateKey)
	}
	if _, ok := c.Leaf.PublicKey.(*rsa.PublicKey); !ok {
		t.Fatalf("leaf public key %T, want RSA", c.Leaf.PublicKey)
	}
}

func TestIssueWithKey(t *testing.T) {
	ca, err := NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.Issue("signer", WithRSAKey(2048))
	if err != nil {
		t.Fatal(err)
	}
	key := a.PrivateKey.(*rsa.PrivateKey)
	b, err := ca.Issue("signer", WithKey(key), WithRSAKey(1024))
	if err != nil {
		t.Fatal(err)
	}
	if b.PrivateKey != crypto.PrivateKey(key) || !key.PublicKey.Equal(b.Leaf.PublicKey) {
		t.Fatalf("WithKey: the leaf has another key (%T)", b.PrivateKey)
	}
	if b.Leaf.SerialNumber.Cmp(a.Leaf.SerialNumber) == 0 {
		t.Fatal("WithKey: the same certificate issued twice")
	}
}
