package fakesite_test

import (
	"crypto/x509"
	"encoding/pem"
	"testing"

	"example.com/cutover/harness/fakesite"
)

// TestSigningKeysOnePerName: two sites of one process share each signing
// key by name (generated once), every name has a key of its own, and each
// site's certificates for them are its own CA's.
func TestSigningKeysOnePerName(t *testing.T) {
	bundle := func(faults ...string) *fakesite.Bundle {
		t.Helper()
		p, reg, err := fakesite.Prepare("example", fakesite.Options{Faults: faults})
		if err != nil {
			t.Fatal(err)
		}
		b, err := fakesite.NewBundle(p, reg)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := bundle(), bundle()
	leaf := func(b *fakesite.Bundle, name string) *x509.Certificate {
		t.Helper()
		blk, _ := pem.Decode(b.Certs[name].Cert)
		if blk == nil {
			t.Fatalf("no certificate for %s", name)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	keys := map[string]string{} // public key → name
	for _, k := range a.Plan.Keys {
		if k.Purpose != fakesite.PurposeSAMLSigning && k.Purpose != fakesite.PurposeJWTSigning {
			continue
		}
		ca, cb := leaf(a, k.Name), leaf(b, k.Name)
		if string(a.Certs[k.Name].Key) != string(b.Certs[k.Name].Key) {
			t.Errorf("%s: two sites of one process have different keys", k.Name)
		}
		if ca.SerialNumber.Cmp(cb.SerialNumber) == 0 || string(a.CAPEM) == string(b.CAPEM) {
			t.Errorf("%s: the two sites share a certificate or a CA", k.Name)
		}
		pub := string(ca.RawSubjectPublicKeyInfo)
		if other, ok := keys[pub]; ok {
			t.Errorf("%s and %s have one key", k.Name, other)
		}
		keys[pub] = k.Name
	}
	if len(keys) < 2 {
		t.Fatalf("the example site has %d RSA signing keys, want several", len(keys))
	}
	// A fault that brings another key gets one nothing else holds.
	c := bundle("webex-other-idp")
	for _, k := range c.Plan.Keys {
		if other, ok := keys[string(leaf(c, k.Name).RawSubjectPublicKeyInfo)]; ok && other != k.Name {
			t.Errorf("%s (fault) has the key of %s", k.Name, other)
		}
	}
}
