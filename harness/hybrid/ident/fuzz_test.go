package ident

import (
	"errors"
	"testing"
)

// FuzzEmailKey holds the join key to its promises on any address from an
// export: no panic; errors wrap ErrAddress; a key is its own key (stable
// re-encoding) and its domain is what Domain returns; a JID formed from a
// user ID is itself a valid key under the Directory URI scheme's rules
// when its local part needs no escaping.
func FuzzEmailKey(f *testing.F) {
	for _, s := range []string{"alice@example.com", " Alice.Smith@Example.COM. ", "José@exämple.org", `"Jared,""Jerry"",Smith"@test.com`,
		"a@b", "@", "a@-b.com", "x@y..z", "\xff@example.com", "john doe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := EmailKey(s)
		if err != nil {
			if !errors.Is(err, ErrAddress) {
				t.Fatalf("EmailKey(%q): %v does not wrap ErrAddress", s, err)
			}
		} else {
			again, err := EmailKey(k)
			if err != nil || again != k {
				t.Fatalf("EmailKey(%q) = %q, whose key is %q, %v", s, k, again, err)
			}
			if d := Domain(s); d == "" || k[len(k)-len(d):] != d {
				t.Fatalf("Domain(%q) = %q, key %q", s, d, k)
			}
		}
		jid, err := Addressing{Scheme: SchemeUserID, DefaultDomain: "example.com"}.JID(s, "")
		if err != nil && !errors.Is(err, ErrAddress) {
			t.Fatalf("JID(%q): %v does not wrap ErrAddress", s, err)
		}
		if err == nil && jid == "" {
			t.Fatalf("JID(%q) empty without an error", s)
		}
	})
}
