package httpauth

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Challenge
	}{
		{"RFC 7617 §2 Basic", `Basic realm="WallyWorld"`,
			[]Challenge{{Scheme: "Basic", Params: []Param{{"realm", "WallyWorld"}}}}},
		{"RFC 7235 §4.1 two challenges", `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
			[]Challenge{
				{Scheme: "Newauth", Params: []Param{{"realm", "apps"}, {"type", "1"}, {"title", `Login to "apps"`}}},
				{Scheme: "Basic", Params: []Param{{"realm", "simple"}}},
			}},
		{"comma inside quotes", `Basic realm="Cisco, Edge"`,
			[]Challenge{{Scheme: "Basic", Params: []Param{{"realm", "Cisco, Edge"}}}}},
		{"UDS realm", `Basic realm="Cisco Web Services Realm"`,
			[]Challenge{{Scheme: "Basic", Params: []Param{{"realm", "Cisco Web Services Realm"}}}}},
		{"RFC 6750 §3 error", `Bearer realm="example", error="invalid_token", error_description="The access token expired"`,
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "example"}, {"error", "invalid_token"}, {"error_description", "The access token expired"}}}}},
		{"RFC 8898 §2.2", `Bearer realm="atlanta.example.com", scope="sip:example.com", authz_server="https://as.example.com/token"`,
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "atlanta.example.com"}, {"scope", "sip:example.com"}, {"authz_server", "https://as.example.com/token"}}}}},
		{"TN215572 UCM", `Bearer realm="ccmsipline"`,
			[]Challenge{{Scheme: "Bearer", Params: []Param{{"realm", "ccmsipline"}}}}},
		{"RFC 3261 §25 Digest", `Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5`,
			[]Challenge{{Scheme: "Digest", Params: []Param{{"realm", "atlanta.com"}, {"domain", "sip:boxesbybob.com"}, {"qop", "auth"},
				{"nonce", "f84f1cec41e6cbe5aea9c8e88d359"}, {"opaque", ""}, {"stale", "FALSE"}, {"algorithm", "MD5"}}}}},
		{"bare schemes", `Negotiate, NTLM`, []Challenge{{Scheme: "Negotiate"}, {Scheme: "NTLM"}}},
		{"spaces around =", `Basic realm = "x" ,charset="UTF-8"`,
			[]Challenge{{Scheme: "Basic", Params: []Param{{"realm", "x"}, {"charset", "UTF-8"}}}}},
		{"empty list items", `, Basic realm="a",, Bearer`,
			[]Challenge{{Scheme: "Basic", Params: []Param{{"realm", "a"}}}, {Scheme: "Bearer"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseChallenges(tc.in)
			if err != nil {
				t.Fatalf("ParseChallenges(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseChallenges(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseChallengesErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `,`, `"Basic"`, `Basic realm="unterminated`, `Basic realm="a" b`,
		`Basic realm="x\`, "Basic realm=\"a\x01\"", strings.Repeat("a", MaxLen+1), `Basic "x"`,
	} {
		if got, err := ParseChallenges(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseChallenges(%q) = %#v, %v; want ErrSyntax", clip(in), got, err)
		}
	}
}

func TestCredentialsAndBearer(t *testing.T) {
	for _, tc := range []struct {
		name, in, token string
	}{
		{"RFC 6750 §2.1", `Bearer mF_9.B5f-4.1JqM`, "mF_9.B5f-4.1JqM"},
		{"padding", `Bearer YWJj==`, "YWJj=="},
		{"TN215572 token param", `Bearer token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"`, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"},
		{"scheme case", `bearer abc`, "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCredentials(tc.in)
			if err != nil {
				t.Fatalf("ParseCredentials(%q): %v", tc.in, err)
			}
			tok, err := BearerToken(c)
			if err != nil || tok != tc.token {
				t.Fatalf("BearerToken(%q) = %q, %v; want %q", tc.in, tok, err, tc.token)
			}
		})
	}
	for _, in := range []string{`Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`, `Bearer`, `Bearer realm="x"`} {
		c, err := ParseCredentials(in)
		if err != nil {
			continue
		}
		if tok, err := BearerToken(c); !errors.Is(err, ErrSyntax) {
			t.Errorf("BearerToken(%q) = %q, %v; want ErrSyntax", in, tok, err)
		}
	}
	if _, err := ParseCredentials(`Basic a, Bearer b`); !errors.Is(err, ErrSyntax) {
		t.Errorf("two credentials accepted: %v", err)
	}
}

func TestBearerWriter(t *testing.T) {
	for _, tc := range []struct {
		token string
		form  BearerForm
		want  string
	}{
		{"mF_9.B5f-4.1JqM", FormRFC6750, "Bearer mF_9.B5f-4.1JqM"},
		{"eyJ.a.b", FormUCM, `Bearer token="eyJ.a.b"`},
		{`odd "token"`, FormRFC6750, `Bearer token="odd \"token\""`},
	} {
		got := Bearer(tc.token, tc.form)
		if got != tc.want {
			t.Errorf("Bearer(%q, %d) = %q, want %q", tc.token, tc.form, got, tc.want)
		}
		c, err := ParseCredentials(got)
		if err != nil {
			t.Fatalf("ParseCredentials(%q): %v", got, err)
		}
		if tok, err := BearerToken(c); err != nil || tok != tc.token {
			t.Errorf("round trip of %q: %q, %v", tc.token, tok, err)
		}
	}
}

func TestFormat(t *testing.T) {
	cs := []Challenge{
		{Scheme: "Bearer", Params: []Param{{"realm", `a "quoted", realm`}, {"error", "invalid_token"}}},
		{Scheme: "Basic", Params: []Param{{"realm", `back\slash`}}},
	}
	s := Format(cs...)
	got, err := ParseChallenges(s)
	if err != nil || !reflect.DeepEqual(got, cs) {
		t.Fatalf("Format/Parse round trip: %q → %#v, %v", s, got, err)
	}
}
