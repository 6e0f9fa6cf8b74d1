package sso

import (
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Redacted is what every secret is replaced with in evidence.
const Redacted = "[redacted]"

// secretKeys are query, fragment and form keys whose values are secret
// (compared ignoring case).
var secretKeys = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "code": true,
	"token": true, "client_secret": true, "samlresponse": true, "samlart": true,
	"password": true, "passwd": true, "pass": true, "j_password": true, "assertion": true,
}

// longKeys are not secret but long; evidence keeps their first bytes.
var longKeys = map[string]bool{"samlrequest": true, "signature": true, "authstate": true}

// IsSecretKey reports whether a parameter or field name carries a secret.
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	return secretKeys[k] || strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.HasSuffix(k, "_token")
}

// Redactor scrubs secrets from evidence: the values of secret parameters
// in URLs (query and fragment), and every secret value it was told about
// (passwords, tokens, cookie values, SAMLResponse values) wherever they
// appear. Safe for concurrent use; the zero value is ready.
type Redactor struct {
	mu      sync.Mutex
	secrets map[string]bool
}

// Add registers secret values; values shorter than 4 bytes are ignored
// (they would redact ordinary text).
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets[s] = true
			if e := url.QueryEscape(s); e != s {
				r.secrets[e] = true
			}
		}
	}
}

// String scrubs every registered secret from s, longest first.
func (r *Redactor) String(s string) string {
	r.mu.Lock()
	list := make([]string, 0, len(r.secrets))
	for k := range r.secrets {
		list = append(list, k)
	}
	r.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	for _, k := range list {
		s = strings.ReplaceAll(s, k, Redacted)
	}
	return s
}

// URL renders u with secret parameter values replaced and long ones cut,
// then scrubs registered secrets.
func (r *Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.RawQuery = redactValues(c.RawQuery)
	if c.Fragment != "" || c.RawFragment != "" {
		frag := c.EscapedFragment()
		c.Fragment, c.RawFragment = "", ""
		return r.String(c.String() + "#" + redactValues(frag))
	}
	return r.String(c.String())
}

// RawURL is URL for a string; an unparsable one is scrubbed as text.
func (r *Redactor) RawURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return r.String(s)
	}
	return r.URL(u)
}

func redactValues(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		switch {
		case IsSecretKey(dk):
			parts[i] = k + "=" + Redacted
		case longKeys[strings.ToLower(dk)] && len(v) > 24:
			parts[i] = k + "=" + v[:16] + "…"
		}
	}
	return strings.Join(parts, "&")
}
