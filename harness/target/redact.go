package target

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// secrets holds every value that must never leave the process, with the
// forms it takes on the wire: base64 of user:password (Basic), base64 of
// the value, URL-escaped (query and path), JSON-escaped and Go-quoted.
type secrets struct {
	forms map[string]bool
}

// add registers s (and, with a user name, user:s as Basic credentials).
func (x *secrets) add(user, s string) {
	if len(s) < 3 {
		return
	}
	if x.forms == nil {
		x.forms = map[string]bool{}
	}
	put := func(f string) {
		if len(f) >= 3 {
			x.forms[f] = true
		}
	}
	put(s)
	put(base64.StdEncoding.EncodeToString([]byte(s)))
	put(strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(s)), "="))
	put(base64.URLEncoding.EncodeToString([]byte(s)))
	put(url.QueryEscape(s))
	put(url.PathEscape(s))
	if j, err := json.Marshal(s); err == nil {
		put(strings.Trim(string(j), `"`))
	}
	put(strings.Trim(strconv.Quote(s), `"`))
	if user != "" {
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + s))
		put(basic)
		put(strings.TrimRight(basic, "="))
	}
}

// list returns the forms longest first, so a longer form is replaced
// before a shorter one it contains.
func (x *secrets) list() []string {
	out := make([]string, 0, len(x.forms))
	for f := range x.forms {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// RedactHeaders blanks credentials in header-like text even when the secret
// was never registered (tokens minted during a run).
func RedactHeaders(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		l := strings.ToLower(line)
		for _, h := range []string{"authorization:", "proxy-authorization:", "cookie:", "set-cookie:"} {
			if j := strings.Index(l, h); j >= 0 {
				end := len(line)
				if strings.HasSuffix(line, "\n") {
					end--
				}
				line = line[:j+len(h)] + " [REDACTED]" + line[end:]
				break
			}
		}
		b.WriteString(line)
	}
	return b.String()
}

// SecretForms lists the forms a secret of user's is redacted in (for
// tests that grep every output for each of them).
func SecretForms(user, s string) []string {
	var x secrets
	x.add(user, s)
	return x.list()
}
