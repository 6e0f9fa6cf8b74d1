// Package httpauth parses and writes the authentication headers that HTTP
// (RFC 7235 §2.1, §4.1) and SIP (RFC 3261 §25.1, RFC 8898 §2) share:
// challenges in WWW-Authenticate and Proxy-Authenticate, credentials in
// Authorization and Proxy-Authorization. It knows the quoted-string rules
// (a comma or an escaped quote inside quotes does not end a parameter), the
// token68 form, several challenges in one header value, and both Bearer
// credential forms a Jabber/Webex site meets: RFC 6750 §2.1's bare
// `Bearer <b64token>` and UCM's `Bearer token="<jwt>"`.
//
// Every parse error wraps ErrSyntax.
package httpauth

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("httpauth: syntax error")

// MaxLen bounds what Parse* accept (64 KiB): a header is never that long.
const MaxLen = 64 << 10

// Param is one auth-param. Name keeps its case; Value is unquoted.
type Param struct {
	Name  string
	Value string
}

// Challenge is one challenge or one set of credentials: an auth-scheme with
// either a token68 or auth-params (RFC 7235 §2.1), never both.
type Challenge struct {
	// Scheme keeps its case ("Basic", "Bearer"); compare with EqualFold.
	Scheme  string
	Token68 string
	Params  []Param
}

// Is reports whether the scheme is scheme, ignoring case.
func (c Challenge) Is(scheme string) bool { return strings.EqualFold(c.Scheme, scheme) }

// Param returns the value of the first auth-param named name (case
// insensitive, as RFC 7235 §2.1 wants).
func (c Challenge) Param(name string) (string, bool) {
	for _, p := range c.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// String writes the challenge back: params as name="value" with quotes
// and backslashes escaped, in their order.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	if c.Token68 != "" {
		b.WriteByte(' ')
		b.WriteString(c.Token68)
		return b.String()
	}
	for i, p := range c.Params {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(Quote(p.Value))
	}
	return b.String()
}

// Quote returns s as a quoted-string.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// ParseChallenges parses a WWW-Authenticate or Proxy-Authenticate value,
// which may hold several challenges separated by commas.
func ParseChallenges(s string) ([]Challenge, error) {
	p, err := newParser(s)
	if err != nil {
		return nil, err
	}
	var out []Challenge
	for {
		p.skipListSeparators()
		if p.done() {
			break
		}
		c, err := p.challenge()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no challenge in %q", ErrSyntax, clip(s))
	}
	return out, nil
}

// ParseCredentials parses an Authorization or Proxy-Authorization value:
// exactly one scheme with its token68 or params.
func ParseCredentials(s string) (Challenge, error) {
	p, err := newParser(s)
	if err != nil {
		return Challenge{}, err
	}
	p.skipWS()
	c, err := p.challenge()
	if err != nil {
		return Challenge{}, err
	}
	p.skipWS()
	if !p.done() {
		return Challenge{}, fmt.Errorf("%w: trailing %q after the credentials", ErrSyntax, clip(p.s[p.i:]))
	}
	return c, nil
}

// BearerToken returns the token of Bearer credentials in either form:
// RFC 6750 §2.1 (`Bearer <b64token>`) or UCM's (`Bearer token="<jwt>"`).
func BearerToken(c Challenge) (string, error) {
	if !c.Is("Bearer") {
		return "", fmt.Errorf("%w: scheme %q is not Bearer", ErrSyntax, clip(c.Scheme))
	}
	if c.Token68 != "" {
		return c.Token68, nil
	}
	if t, ok := c.Param("token"); ok && t != "" {
		return t, nil
	}
	return "", fmt.Errorf("%w: Bearer credentials without a token", ErrSyntax)
}

// BearerForm says which Bearer credentials form to write.
type BearerForm int

// Bearer credentials forms.
const (
	// FormRFC6750 is `Bearer <token>` (RFC 6750 §2.1, RFC 8898 §2.2).
	FormRFC6750 BearerForm = iota
	// FormUCM is `Bearer token="<token>"` (Cisco TN215572).
	FormUCM
)

// Bearer writes Bearer credentials for token in the given form. A token
// that is not a valid b64token is written in the quoted UCM form.
func Bearer(token string, form BearerForm) string {
	if form == FormRFC6750 && isToken68(token) {
		return "Bearer " + token
	}
	return Challenge{Scheme: "Bearer", Params: []Param{{"token", token}}}.String()
}

type parser struct {
	s string
	i int
}

func newParser(s string) (*parser, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("%w: header of %d bytes (limit %d)", ErrSyntax, len(s), MaxLen)
	}
	return &parser{s: s}, nil
}

func (p *parser) done() bool { return p.i >= len(p.s) }

func (p *parser) skipWS() {
	for p.i < len(p.s) && isWS(p.s[p.i]) {
		p.i++
	}
}

func (p *parser) skipListSeparators() {
	for p.i < len(p.s) && (isWS(p.s[p.i]) || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *parser) token() string {
	start := p.i
	for p.i < len(p.s) && isTChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// challenge reads auth-scheme [ 1*SP ( token68 / #auth-param ) ], stopping
// before the comma that starts the next challenge.
func (p *parser) challenge() (Challenge, error) {
	scheme := p.token()
	if scheme == "" {
		return Challenge{}, p.errorf("want an auth-scheme")
	}
	c := Challenge{Scheme: scheme}
	if p.done() || p.s[p.i] == ',' {
		return c, nil
	}
	if !isWS(p.s[p.i]) {
		return Challenge{}, p.errorf("want a space after the scheme %q", clip(scheme))
	}
	p.skipWS()
	if p.done() || p.s[p.i] == ',' {
		return c, nil
	}
	if t, ok := p.token68(); ok {
		c.Token68 = t
		return c, nil
	}
	for {
		save := p.i
		name := p.token()
		p.skipWS()
		if name == "" || p.done() || p.s[p.i] != '=' {
			if len(c.Params) == 0 {
				return Challenge{}, p.errorf("want name=value or a token68")
			}
			// The next challenge's scheme: leave it for the caller.
			p.i = save
			return c, nil
		}
		p.i++ // '='
		p.skipWS()
		var val string
		if !p.done() && p.s[p.i] == '"' {
			v, err := p.quoted()
			if err != nil {
				return Challenge{}, err
			}
			val = v
		} else {
			val = p.token()
			if val == "" {
				return Challenge{}, p.errorf("want a value for %q", clip(name))
			}
		}
		c.Params = append(c.Params, Param{Name: name, Value: val})
		p.skipWS()
		if p.done() {
			return c, nil
		}
		if p.s[p.i] != ',' {
			return Challenge{}, p.errorf("want ',' after the value of %q", clip(name))
		}
		// Skip the separators; what follows is a param or the next scheme.
		p.skipListSeparators()
		if p.done() {
			return c, nil
		}
	}
}

// token68 reads a token68 when the rest of this challenge is one: b64token
// chars, then '='s, then the end or a comma. It backs off otherwise.
func (p *parser) token68() (string, bool) {
	start := p.i
	j := p.i
	for j < len(p.s) && isToken68Char(p.s[j]) {
		j++
	}
	if j == start {
		return "", false
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	k := j
	for k < len(p.s) && isWS(p.s[k]) {
		k++
	}
	if k < len(p.s) && p.s[k] != ',' {
		return "", false
	}
	// "realm=" followed by end is not a token68 of the form name=; but
	// "abc=" is a valid token68 ("=" padding). Either way the token68 reading
	// holds: RFC 7235 resolves it the same.
	p.i = k
	return p.s[start:j], true
}

func (p *parser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		ch := p.s[p.i]
		switch {
		case ch == '"':
			p.i++
			return b.String(), nil
		case ch == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errorf("quoted-string ends in a backslash")
			}
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
			if e := p.s[p.i+1]; e < 0x20 && e != '\t' || e == 0x7f {
				return "", p.errorf("control character 0x%02x in a quoted-pair", e)
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case ch < 0x20 && ch != '\t' || ch == 0x7f:
			return "", p.errorf("control character 0x%02x in a quoted-string", ch)
		default:
			b.WriteByte(ch)
			p.i++
		}
	}
	return "", p.errorf("unterminated quoted-string")
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d of %q: %s", ErrSyntax, p.i, clip(p.s), fmt.Sprintf(format, args...))
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isTChar is RFC 7230 §3.2.6 tchar.
func isTChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken68Char(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func isToken68(s string) bool {
	i := 0
	for i < len(s) && isToken68Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// clip keeps messages short when a header is huge.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// Format writes challenges as one header value, comma-separated.
func Format(cs ...Challenge) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}
