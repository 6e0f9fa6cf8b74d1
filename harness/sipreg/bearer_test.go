package sipreg

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"example.com/cutover/harness/httpauth"
)

func response(code int, header string, values ...string) *Message {
	m := &Message{StatusCode: code, Reason: "X"}
	for _, v := range values {
		m.Add(header, v)
	}
	return m
}

func TestParseChallenge(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  *Message
		want Challenge
		err  error
		also error
	}{
		{name: "UCM 407 (TN215572)", msg: response(407, "Proxy-Authenticate", `Bearer realm="ccmsipline"`),
			want: Challenge{Status: 407, Header: "Proxy-Authenticate", Realm: "ccmsipline"}},
		{name: "RFC 8898 401 with scope and authz_server",
			msg:  response(401, "WWW-Authenticate", `Bearer realm="example.com", scope="sip:register", authz_server="https://as.example.com/"`),
			want: Challenge{Status: 401, Header: "WWW-Authenticate", Realm: "example.com", Scope: "sip:register", AuthzServer: "https://as.example.com/"}},
		{name: "RFC 6750 §3 expired token",
			msg:  response(401, "WWW-Authenticate", `Bearer realm="example", error="invalid_token", error_description="The access token expired"`),
			want: Challenge{Status: 401, Header: "WWW-Authenticate", Realm: "example", Error: "invalid_token", ErrorDescription: "The access token expired"}},
		{name: "RFC 8898 §2.3 Digest and Bearer in two fields",
			msg:  response(401, "WWW-Authenticate", `Digest realm="example.com", nonce="abc"`, `Bearer realm="example.com", authz_server="https://as.example.com"`),
			want: Challenge{Status: 401, Header: "WWW-Authenticate", Realm: "example.com", AuthzServer: "https://as.example.com"}},
		{name: "RFC 7235 §4.1 several challenges in one field",
			msg:  response(407, "Proxy-Authenticate", `Newauth realm="apps", type=1, title="Login to \"apps\"", Bearer realm="simple"`),
			want: Challenge{Status: 407, Header: "Proxy-Authenticate", Realm: "simple"}},
		{name: "realm with a comma", msg: response(407, "Proxy-Authenticate", `Bearer realm="Cisco, Edge"`),
			want: Challenge{Status: 407, Header: "Proxy-Authenticate", Realm: "Cisco, Edge"}},
		{name: "Digest only", msg: response(401, "WWW-Authenticate", `Digest realm="x", nonce="1", algorithm=MD5`),
			err: ErrNoBearer, also: ErrDigestOnly},
		{name: "Basic only is not Digest only", msg: response(401, "WWW-Authenticate", `Basic realm="x"`), err: ErrNoBearer},
		{name: "broken quoting", msg: response(407, "Proxy-Authenticate", `Bearer realm="ccmsipline`), err: ErrMalformed, also: httpauth.ErrSyntax},
		{name: "401 without WWW-Authenticate", msg: response(401, "Proxy-Authenticate", `Bearer realm="x"`), err: ErrMalformed, also: ErrNoBearer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChallenge(tc.msg)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || (tc.also != nil && !errors.Is(err, tc.also)) {
					t.Fatalf("error %v, want %v and %v", err, tc.err, tc.also)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Schemes = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, header, value string
		token, scheme       string
		form                httpauth.BearerForm
		wantErr             bool
	}{
		{name: "RFC 6750 §2.1", header: "Authorization", value: "Bearer mF_9.B5f-4.1JqM", token: "mF_9.B5f-4.1JqM", scheme: "Bearer", form: httpauth.FormRFC6750},
		{name: "UCM TN215572", header: "Proxy-Authorization", value: `Bearer token="eyJ.e30.sig"`, token: "eyJ.e30.sig", scheme: "Bearer", form: httpauth.FormUCM},
		{name: "Digest is not Bearer", header: "Authorization", value: `Digest username="a", realm="b", nonce="c", uri="sip:b", response="d"`, scheme: "Digest"},
		{name: "Bearer without token", header: "Authorization", value: "Bearer realm=x", wantErr: true},
		{name: "broken quote", header: "Proxy-Authorization", value: `Bearer token="abc`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bc, err := ParseCredentials(tc.header, tc.value)
			if tc.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil || bc.Token != tc.token || bc.Scheme != tc.scheme || bc.Form != tc.form {
				t.Fatalf("ParseCredentials(%q) = %+v, %v", tc.value, bc, err)
			}
			if tc.token == "" {
				return
			}
			back, err := ParseCredentials(tc.header, Credentials(bc.Token, bc.Form))
			if err != nil || back.Token != tc.token || back.Form != tc.form {
				t.Errorf("round trip of %q: %+v %v", tc.value, back, err)
			}
		})
	}
}

func TestFormatChallenge(t *testing.T) {
	if got := FormatChallenge(UCMRealm, "", "", "", ""); got != `Bearer realm="ccmsipline"` {
		t.Errorf("UCM challenge = %s", got)
	}
	got := FormatChallenge("example.com", "sip:register", "https://as.example.com/", BearerInvalidToken, "The access token expired")
	want := `Bearer realm="example.com", scope="sip:register", authz_server="https://as.example.com/", error="invalid_token", error_description="The access token expired"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	m := response(401, "WWW-Authenticate", got)
	ch, err := ParseChallenge(m)
	if err != nil || ch.Error != BearerInvalidToken || ch.UCMStyle() || ch.CredentialsHeader() != "Authorization" {
		t.Errorf("parse back: %+v %v", ch, err)
	}
	if !strings.Contains(TokenReason(ErrTokenExpired), "expired") {
		t.Error("TokenReason(ErrTokenExpired)")
	}
}
