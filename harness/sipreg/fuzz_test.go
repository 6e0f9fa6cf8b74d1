package sipreg

import (
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzReadMessage: never panics; every error is io.EOF (nothing but
// keepalives) or wraps ErrMalformed; what parses re-encodes to a message
// that parses the same.
func FuzzReadMessage(f *testing.F) {
	for _, s := range []string{tn215572Register, tn215572Challenge, tn215572Mismatch} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data, Limits{})
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v wraps neither io.EOF nor ErrMalformed", err)
			}
			return
		}
		again, err := ParseMessage(m.Bytes(), Limits{})
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v\n%q", err, m.Bytes())
		}
		if len(m.Body) == 0 {
			m.Body = nil
		}
		if len(again.Body) == 0 {
			again.Body = nil
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("re-encoding changed the message:\n%#v\n%#v", m, again)
		}
		_ = m.Redacted()
	})
}

// FuzzParseContacts: never panics; errors wrap ErrMalformed; the encoding
// of what parses parses to the same encoding.
func FuzzParseContacts(f *testing.F) {
	f.Add(`<sip:a8ae9f92-4b07-a0d7-d701-29320aed1e2e@10.10.10.10:62162;transport=tls>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-882323451234>";+u.sip!devicename.ccm.cisco.com="CSFrado";+u.sip!model.ccm.cisco.com="503";video`)
	f.Add(`"Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600, <mailto:watson@bell-telephone.com> ;q=0.1`)
	f.Add(`*`)
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseContacts(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		enc := FormatContacts(cs)
		again, err := ParseContacts(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", enc, err)
		}
		if FormatContacts(again) != enc || len(again) != len(cs) {
			t.Fatalf("unstable: %q -> %q", enc, FormatContacts(again))
		}
		for _, c := range cs {
			_, _ = c.Expires()
			_ = c.DeviceName()
			_ = c.Instance()
		}
	})
}

// FuzzParseChallenge: a 407's Proxy-Authenticate value and a request's
// Proxy-Authorization value. Never panics; challenge errors wrap
// ErrMalformed or ErrNoBearer, credentials errors ErrMalformed; a parsed
// Bearer challenge or token written back parses to the same.
func FuzzParseChallenge(f *testing.F) {
	f.Add(`Bearer realm="ccmsipline"`)
	f.Add(`Bearer realm="example.com", scope="sip:register", authz_server="https://as.example.com/", error="invalid_token", error_description="The access token expired"`)
	f.Add(`Digest realm="x", nonce="1", algorithm=MD5, Bearer realm="y"`)
	f.Add(`Bearer token="eyJ.e30.sig"`)
	f.Add(`Bearer mF_9.B5f-4.1JqM`)
	f.Fuzz(func(t *testing.T, v string) {
		ch, err := ParseChallenge(response(407, "Proxy-Authenticate", v))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoBearer) {
				t.Fatalf("challenge error %v", err)
			}
		} else {
			back, err := ParseChallenge(response(407, "Proxy-Authenticate",
				FormatChallenge(ch.Realm, ch.Scope, ch.AuthzServer, ch.Error, ch.ErrorDescription)))
			if err != nil {
				t.Fatalf("written challenge does not parse: %v", err)
			}
			back.Schemes, ch.Schemes = nil, nil
			if !reflect.DeepEqual(back, ch) {
				t.Fatalf("challenge round trip: %+v -> %+v", ch, back)
			}
		}
		bc, err := ParseCredentials("Proxy-Authorization", v)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("credentials error %v", err)
			}
			return
		}
		if bc.Token == "" {
			return
		}
		back, err := ParseCredentials("Proxy-Authorization", Credentials(bc.Token, bc.Form))
		if err != nil || back.Token != bc.Token {
			t.Fatalf("credentials round trip of %q: %+v %v", bc.Token, back, err)
		}
	})
}
