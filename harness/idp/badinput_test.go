package idp_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/sso"
)

var fixedNow = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// issue runs a sign-in in process (no sockets) and returns the posted
// SAMLResponse, an SP that should accept it, and the request ID.
func issue(t testing.TB, key idp.SigningKey, faults ...idp.Option) (string, *idp.ServiceProvider, string) {
	t.Helper()
	clock := func() time.Time { return fixedNow }
	ip, err := idp.New(append([]idp.Option{idp.WithClock(clock), idp.WithUsers(alice), idp.WithSigningKey(key),
		idp.WithServiceProvider(idp.SPMetadata(spEntity, spACS))}, faults...)...)
	if err != nil {
		t.Fatal(err)
	}
	healthy, _ := idp.New(idp.WithClock(clock), idp.WithSigningKey(key))
	md, _ := healthy.Metadata()
	sp, err := idp.NewServiceProvider(idp.SPConfig{EntityID: spEntity, ACSURL: spACS, IdPMetadata: md, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	u, id, err := sp.AuthnRequest("rs")
	if err != nil {
		t.Fatal(err)
	}
	login := httptest.NewRecorder()
	form := url.Values{"request": {u.RawQuery}, idp.UsernameField: {"alice"}, idp.PasswordField: {alice.Password}}
	req := httptest.NewRequest(http.MethodPost, "https://idp.example.com"+idp.LoginPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ip.ServeHTTP(login, req)
	req = httptest.NewRequest(http.MethodGet, u.String(), nil)
	for _, c := range login.Result().Cookies() {
		req.AddCookie(c)
	}
	page := httptest.NewRecorder()
	ip.ServeHTTP(page, req)
	forms, err := sso.ParseForms(page.Body.Bytes(), u)
	if err != nil || len(forms) != 1 {
		t.Fatalf("no response form: %v %d", err, page.Code)
	}
	return forms[0].Values().Get("SAMLResponse"), sp, id
}

func decode(t testing.TB, b64 string) *etree.Document {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	return doc
}

func encode(t testing.TB, doc *etree.Document) string {
	t.Helper()
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

const mallory = "mallory@example.com"

func setNameID(el *etree.Element, v string) {
	for _, n := range el.FindElements(".//NameID") {
		n.SetText(v)
	}
}

// TestSignatureWrapping replays the XML-signature-wrapping attacks
// (Somorovsky et al., "On Breaking SAML", USENIX Security 2012): an
// attacker keeps the IdP's signed assertion somewhere in the document and
// adds an unsigned one naming someone else. Every variant must be refused.
func TestSignatureWrapping(t *testing.T) {
	key := newSigningKey(t, fixedNow)
	good, sp, id := issue(t, key)
	if a, err := sp.Verify(good, id); err != nil || a.NameID != alice.Email {
		t.Fatalf("healthy response refused: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(resp, assertion *etree.Element)
	}{
		{"evil assertion first, signed one after", func(resp, a *etree.Element) {
			evil := a.Copy()
			evil.RemoveChildAt(signatureIndex(evil))
			evil.CreateAttr("ID", "id-evil")
			setNameID(evil, mallory)
			resp.InsertChildAt(a.Index(), evil)
		}},
		{"evil assertion with the signed one inside", func(resp, a *etree.Element) {
			evil := a.Copy()
			setNameID(evil, mallory)
			sigIdx := signatureIndex(evil)
			orig := a.Copy()
			evil.RemoveChildAt(sigIdx)
			evil.AddChild(orig)
			resp.RemoveChild(a)
			resp.AddChild(evil)
		}},
		{"signed assertion moved into Extensions", func(resp, a *etree.Element) {
			evil := a.Copy()
			setNameID(evil, mallory)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(a.Copy())
			resp.RemoveChild(a)
			resp.InsertChildAt(1, ext)
			resp.AddChild(evil)
		}},
		{"NameID edited in place", func(_, a *etree.Element) { setNameID(a, mallory) }},
		{"comment splits NameID", func(_, a *etree.Element) {
			for _, n := range a.FindElements(".//NameID") {
				n.SetText("mallory@example.com")
				n.Child = append([]etree.Token{etree.NewComment("x")}, n.Child...)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := decode(t, good)
			resp := doc.Root()
			a := resp.FindElement("./Assertion")
			// Drop the Response signature so the attack rests on the
			// assertion's, as in the published attacks.
			resp.RemoveChildAt(signatureIndex(resp))
			tc.mutate(resp, a)
			got, err := sp.Verify(encode(t, doc), id)
			if err == nil {
				t.Fatalf("wrapped response accepted as %q", got.NameID)
			}
			if !errors.Is(err, idp.ErrResponse) {
				t.Errorf("error %v does not wrap ErrResponse", err)
			}
		})
	}
}

func signatureIndex(el *etree.Element) int {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" {
			return c.Index()
		}
	}
	return len(el.Child)
}

func TestVerifyBadInput(t *testing.T) {
	key := newSigningKey(t, fixedNow)
	good, sp, id := issue(t, key)
	for _, tc := range []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", idp.ErrMalformed},
		{"not base64", "%%%not-base64%%%", idp.ErrMalformed},
		{"not xml", base64.StdEncoding.EncodeToString([]byte("hello")), idp.ErrMalformed},
		{"oversized", strings.Repeat("A", idp.MaxResponse+4), idp.ErrMalformed},
		{"doctype entity", base64.StdEncoding.EncodeToString([]byte(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>`)), idp.ErrResponse},
		{"unknown request id", good, idp.ErrRequestID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := []string{"id-other"}
			if tc.name != "unknown request id" {
				ids = []string{id}
			}
			_, err := sp.Verify(tc.in, ids...)
			if !errors.Is(err, tc.want) || !errors.Is(err, idp.ErrResponse) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
			if len(err.Error()) > 600 {
				t.Errorf("error too long (%d): holds the input?", len(err.Error()))
			}
		})
	}
	// Inspection mode (no request IDs) accepts the healthy response.
	if _, err := sp.Verify(good); err != nil {
		t.Errorf("inspection of a good response: %v", err)
	}
}

func TestParseMetadataBadInput(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"not xml", "metadata"},
		{"no entity id", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><IDPSSODescriptor/></EntityDescriptor>`},
		{"no role", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`},
		{"bad cert", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="x"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>`},
		{"oversized", "<x>" + strings.Repeat(" ", idp.MaxMetadata) + "</x>"},
		{"colon in name", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><a:b:c/><IDPSSODescriptor/></EntityDescriptor>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := idp.ParseMetadata([]byte(tc.in))
			if !errors.Is(err, idp.ErrMetadata) {
				t.Fatalf("want ErrMetadata, got %v", err)
			}
		})
	}
}
