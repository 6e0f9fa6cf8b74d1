package discovery_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"example.com/cutover/harness/discovery"
)

// FuzzParseConfigURL feeds arbitrary text to ParseConfigURL. It must never
// panic; a URL that parses must give Problems and Excludes without
// panicking, and its canonical re-encoding must parse to the same result.
// Seeds are in testdata/fuzz/FuzzParseConfigURL: the guide's examples
// (Jabber on-premises deployment guide, §Configuration URL) and the problems DISC-13 reports.
func FuzzParseConfigURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		c, err := discovery.ParseConfigURL(s)
		if err != nil {
			if !errors.Is(err, discovery.ErrConfigURL) {
				t.Fatalf("ParseConfigURL(%q): error %v does not wrap ErrConfigURL", s, err)
			}
			return
		}
		problems := c.Problems()
		c.ExcludesAll()
		for _, svc := range []string{"WEBEX", "CUCM", "CUP"} {
			c.Excludes(svc)
		}

		again, err := discovery.ParseConfigURL(canonical(c.Params))
		if err != nil {
			if len(canonical(c.Params)) > 8<<10 {
				return // escaping grew it past the length cap
			}
			t.Fatalf("ParseConfigURL(%q) = %+v, but its re-encoding %q fails: %v", s, c, canonical(c.Params), err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("ParseConfigURL(%q) = %+v, re-parsed %q = %+v", s, c, canonical(c.Params), again)
		}
		if got := again.Problems(); !reflect.DeepEqual(problems, got) {
			t.Fatalf("ParseConfigURL(%q): Problems %q, after re-parsing %q", s, problems, got)
		}
	})
}

// canonical writes params back as a configuration URL: keys sorted, the
// values of one key in their order, everything query-escaped.
func canonical(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range params[k] {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return "ciscojabber://provision?" + strings.Join(parts, "&")
}

// TestConfigURLGuideSeeds replays the guide's examples from the fuzz corpus
// (testdata/fuzz/FuzzParseConfigURL/guide-*): every one parses, and only
// the template with placeholders has problems.
func TestConfigURLGuideSeeds(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParseConfigURL/guide-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no guide seeds: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s := corpusString(t, file)
			c, err := discovery.ParseConfigURL(s)
			if err != nil {
				t.Fatalf("ParseConfigURL(%q): %v", s, err)
			}
			if c.ServicesDomain == "" {
				t.Errorf("ParseConfigURL(%q): no ServicesDomain", s)
			}
			p := c.Problems()
			if wantProblems := strings.HasSuffix(file, "guide-template"); (len(p) > 0) != wantProblems {
				t.Errorf("ParseConfigURL(%q).Problems() = %q", s, p)
			}
		})
	}
}

// corpusString reads a one-value "go test fuzz v1" file holding string(…).
func corpusString(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(string(b), "\n")
	lit, ok := strings.CutPrefix(strings.TrimSpace(body), "string(")
	if header != "go test fuzz v1" || !ok || !strings.HasSuffix(lit, ")") {
		t.Fatalf("%s: not a go test fuzz v1 string corpus file", file)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}
