package httpauth

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParseChallenges holds the parser to the package's promises on any
// input: it never panics, every error wraps ErrSyntax, and what parses
// re-encodes stably (Format then Parse gives the same challenges).
// Seeds: testdata/fuzz/FuzzParseChallenges plus the RFC examples below.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Basic realm="WallyWorld"`,
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		`Bearer realm="ccmsipline"`,
		`Bearer realm="example", error="invalid_token", error_description="The access token expired"`,
		`Digest realm="atlanta.com", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5`,
		`Basic realm="Cisco, Edge"`, `Bearer abc==`, `Negotiate, NTLM`, `Bearer token="a.b.c"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseChallenges(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseChallenges(%q): error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		again, err := ParseChallenges(Format(cs...))
		if err != nil || !reflect.DeepEqual(again, cs) {
			t.Fatalf("ParseChallenges(%q) = %#v; re-encoded %q parses as %#v, %v", s, cs, Format(cs...), again, err)
		}
		if c, err := ParseCredentials(s); err == nil {
			if _, err := BearerToken(c); err != nil && !errors.Is(err, ErrSyntax) {
				t.Fatalf("BearerToken of %q: %v", s, err)
			}
		} else if !errors.Is(err, ErrSyntax) {
			t.Fatalf("ParseCredentials(%q): error %v does not wrap ErrSyntax", s, err)
		}
	})
}
