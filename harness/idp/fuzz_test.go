package idp_test

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"testing"
	"time"

	"example.com/cutover/harness/idp"
)

// FuzzParseMetadata: metadata comes from the site. Invariants: no panic;
// every error wraps ErrMetadata; what parses re-encodes (encoding/xml of
// the descriptor) to a document that parses to the same entity ID,
// endpoints and certificates.
func FuzzParseMetadata(f *testing.F) {
	key, err := idp.NewSigningKey("idp.example.com", fixedNow.Add(-time.Hour), fixedNow.AddDate(1, 0, 0))
	if err != nil {
		f.Fatal(err)
	}
	s, _ := idp.New(idp.WithSigningKey(key), idp.WithClock(func() time.Time { return fixedNow }))
	md, _ := s.Metadata()
	f.Add(md)
	f.Add(idp.SPMetadata(spEntity, spACS))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := idp.ParseMetadata(b)
		if err != nil {
			if !errors.Is(err, idp.ErrMetadata) {
				t.Fatalf("error %v does not wrap ErrMetadata", err)
			}
			return
		}
		out, err := xml.Marshal(m.Descriptor)
		if err != nil {
			return // a descriptor encoding/xml cannot write back is not ours to fix
		}
		m2, err := idp.ParseMetadata(out)
		if err != nil {
			t.Fatalf("re-encoded metadata does not parse: %v", err)
		}
		if m2.EntityID != m.EntityID || m2.SSORedirect != m.SSORedirect || len(m2.SigningCerts) != len(m.SigningCerts) || len(m2.ACS) != len(m.ACS) {
			t.Fatalf("round trip changed metadata: %+v -> %+v", m, m2)
		}
	})
}

// FuzzVerify: SAMLResponses come from the site (through the browser).
// Invariants: no panic; every error wraps ErrResponse; an accepted
// response names alice (the only user the seed IdP signs for), so no
// mutation makes a forged identity pass.
func FuzzVerify(f *testing.F) {
	key, err := idp.NewSigningKey("idp.example.com", fixedNow.Add(-time.Hour), fixedNow.AddDate(1, 0, 0))
	if err != nil {
		f.Fatal(err)
	}
	good, sp, id := issue(f, key)
	raw, _ := base64.StdEncoding.DecodeString(good)
	f.Add(raw)
	for _, fault := range []idp.Option{idp.UnsignedAssertion(), idp.SignedByOtherKey(), idp.WrongAudience()} {
		r, _, _ := issue(f, key, fault)
		b, _ := base64.StdEncoding.DecodeString(r)
		f.Add(b)
	}
	f.Add([]byte("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := sp.Verify(base64.StdEncoding.EncodeToString(b), id)
		if err != nil {
			if !errors.Is(err, idp.ErrResponse) {
				t.Fatalf("error %v does not wrap ErrResponse", err)
			}
			return
		}
		if a.NameID != alice.Email {
			t.Fatalf("accepted a response for %q", a.NameID)
		}
	})
}
