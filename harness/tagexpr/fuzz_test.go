package tagexpr

import (
	"errors"
	"testing"
)

// FuzzParse holds the parser to its promises on any input: it never
// panics, every error wraps ErrSyntax with a column inside the input, and
// what parses re-encodes stably (String then Parse gives the same String
// and the same verdicts).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "@a", "not @a", "@a and (@b or not @c)", `x\(1\) or y\\`, "( a and b ) )", "~@a", "@a,@b", ",", "@", "@DISC-01 && "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.Is(err, ErrSyntax) || !errors.As(err, &pe) || pe.Column < 1 || pe.Column > len([]rune(s))+1 {
				t.Fatalf("Parse(%q): bad error %v", s, err)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil || again.String() != e.String() {
			t.Fatalf("Parse(%q) = %q; re-parsed: %v, %v", s, e.String(), again, err)
		}
		for _, tags := range [][]string{nil, {"@a"}, {"@a", "@b"}, {"a", "b", "c"}} {
			if e.Match(tags) != again.Match(tags) {
				t.Fatalf("%q and its re-encoding %q disagree on %v", s, e.String(), tags)
			}
		}
	})
}
