package tagexpr

import (
	"errors"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func load[T any](t *testing.T, name string) []T {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCucumberEvaluations replays cucumber/tag-expressions' evaluations.
func TestCucumberEvaluations(t *testing.T) {
	type eval struct {
		Expression string
		Tests      []struct {
			Variables []string
			Result    bool
		}
	}
	for _, c := range load[eval](t, "evaluations.yml") {
		e, err := Parse(c.Expression)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.Expression, err)
			continue
		}
		for _, tc := range c.Tests {
			if got := e.Match(tc.Variables); got != tc.Result {
				t.Errorf("%q with %v: got %t, want %t", c.Expression, tc.Variables, got, tc.Result)
			}
		}
	}
}

// TestCucumberParsing replays cucumber/tag-expressions' formatting cases.
func TestCucumberParsing(t *testing.T) {
	type parsing struct{ Expression, Formatted string }
	for _, c := range load[parsing](t, "parsing.yml") {
		e, err := Parse(c.Expression)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.Expression, err)
			continue
		}
		if got := e.String(); got != c.Formatted {
			t.Errorf("Parse(%q).String() = %q, want %q", c.Expression, got, c.Formatted)
		}
	}
}

// TestCucumberErrors replays cucumber/tag-expressions' errors: the same
// message, with the column added.
func TestCucumberErrors(t *testing.T) {
	type errcase struct{ Expression, Error string }
	for _, c := range load[errcase](t, "errors.yml") {
		_, err := Parse(c.Expression)
		var pe *Error
		if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q): want a syntax error, got %v", c.Expression, err)
			continue
		}
		want := strings.TrimSuffix(c.Error, ".")
		if !strings.HasPrefix(err.Error(), want) || pe.Column < 1 {
			t.Errorf("Parse(%q):\n got %s\nwant %s (column …)", c.Expression, err, c.Error)
		}
	}
}

func TestOldSyntaxAndCrashes(t *testing.T) {
	for _, in := range []string{",", "@", "@DISC-01,", "@DISC-01 && ", " ", "~@DISC-03", "@a,@b", "@a && @b"} {
		e, err := Parse(in)
		switch strings.TrimSpace(in) {
		case "", "@":
			if err != nil {
				t.Errorf("Parse(%q): %v", in, err)
			}
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, %v; want a syntax error", in, e, err)
		}
	}
	_, err := Parse("~@DISC-03")
	if err == nil || !strings.Contains(err.Error(), `write "not @a"`) || !strings.Contains(err.Error(), "column 1") {
		t.Errorf("old syntax: %v", err)
	}
	e, err := Parse("@discovery and not @DISC-03")
	if err != nil || !e.Match([]string{"@discovery", "@DISC-02"}) || e.Match([]string{"@discovery", "@DISC-03"}) {
		t.Errorf("standard form: %v %v", e, err)
	}
}
