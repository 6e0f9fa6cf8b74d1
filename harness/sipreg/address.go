package sipreg

import (
	"fmt"
	"strconv"
	"strings"
)

// Contact parameters Cisco endpoints put on a REGISTER Contact (Cisco
// TN215572 "Jabber and SIP OAuth Mode"; RFC 5626 §4.1 for +sip.instance).
const (
	ParamInstance   = "+sip.instance"
	ParamDeviceName = "+u.sip!devicename.ccm.cisco.com"
	ParamModel      = "+u.sip!model.ccm.cisco.com"
	// ParamNewReg marks, in UCM's 200 OK, a binding that was not there
	// before (a new registration rather than a refresh).
	ParamNewReg = "x-cisco-newreg"
)

// Param is one ;name[=value] parameter. Quoted says the value was (or
// must be) a quoted-string; Value is unquoted.
type Param struct {
	Name, Value string
	Quoted      bool
	// HasValue distinguishes ";video" from ";video=".
	HasValue bool
}

// URI is a SIP URI reduced to what a registrar needs (RFC 3261 §19.1.1).
// Other schemes keep only Scheme and Opaque.
type URI struct {
	Scheme, User, Host string
	Port               int
	Params             []Param
	Opaque             string
}

// AOR is scheme:user@host with the host lowercased, for comparisons.
func (u URI) AOR() string {
	if u.Opaque != "" {
		return u.Scheme + ":" + u.Opaque
	}
	if u.User == "" {
		return u.Scheme + ":" + strings.ToLower(u.Host)
	}
	return u.Scheme + ":" + u.User + "@" + strings.ToLower(u.Host)
}

// Param returns the value of the URI parameter name (case-insensitive).
func (u URI) Param(name string) (string, bool) { return findParam(u.Params, name) }

// ParseURI parses a sip:, sips: or other absolute URI.
func ParseURI(s string) (URI, error) {
	bad := func(why string) (URI, error) {
		return URI{}, fmt.Errorf("%w: URI %q: %s", ErrMalformed, clip(s), why)
	}
	if err := checkValue(s); err != nil {
		return URI{}, err
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || !isScheme(scheme) {
		return bad("no scheme")
	}
	u := URI{Scheme: strings.ToLower(scheme)}
	if u.Scheme != "sip" && u.Scheme != "sips" {
		if rest == "" || strings.ContainsAny(rest, " <>\"") {
			return bad("bad opaque part")
		}
		u.Opaque = rest
		return u, nil
	}
	rest, _, _ = strings.Cut(rest, "?") // headers are of no use here
	// The userinfo may hold ';' (RFC 3261 user-unreserved), '@' may not.
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		user, _, _ := strings.Cut(rest[:i], ":") // drop a password
		if user == "" {
			return bad("empty user")
		}
		u.User = user
		rest = rest[i+1:]
	}
	hostport, params, _ := strings.Cut(rest, ";")
	host, port, err := splitHostPort(hostport)
	if err != nil {
		return bad(err.Error())
	}
	u.Host, u.Port = host, port
	if params != "" {
		for _, p := range strings.Split(params, ";") {
			name, value, has := strings.Cut(p, "=")
			if !isToken(name) {
				return bad("bad parameter " + strconv.Quote(clip(p)))
			}
			u.Params = append(u.Params, Param{Name: name, Value: value, HasValue: has})
		}
	}
	return u, nil
}

func splitHostPort(hp string) (string, int, error) {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("unterminated IPv6 reference")
		}
		host = hp[:end+1]
		rest := hp[end+1:]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return "", 0, fmt.Errorf("junk after IPv6 reference")
			}
			port = p
		}
	} else if h, p, ok := strings.Cut(hp, ":"); ok {
		host, port = h, p
	}
	if host == "" || strings.ContainsAny(host, " \t<>\"@,;") {
		return "", 0, fmt.Errorf("bad host %q", clip(host))
	}
	if port == "" {
		return host, 0, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return "", 0, fmt.Errorf("bad port %q", clip(port))
	}
	return host, n, nil
}

func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// Contact is one Contact value (RFC 3261 §20.10), or a To/From value.
// The URI is kept as received (RawURI) and parsed (URI).
type Contact struct {
	Display string
	RawURI  string
	URI     URI
	Params  []Param
	// Star is the "*" wildcard of a REGISTER removing every binding.
	Star bool
}

// Param returns the header parameter name (case-insensitive), unquoted.
func (c Contact) Param(name string) (string, bool) { return findParam(c.Params, name) }

// Has reports whether the header parameter name is present.
func (c Contact) Has(name string) bool {
	for _, p := range c.Params {
		if strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}

// Expires is the expires parameter, if present and numeric.
func (c Contact) Expires() (int, bool) {
	v, ok := c.Param("expires")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// DeviceName is the +u.sip!devicename.ccm.cisco.com value ("CSFalice").
func (c Contact) DeviceName() string { v, _ := c.Param(ParamDeviceName); return v }

// Instance is the +sip.instance value without its angle brackets.
func (c Contact) Instance() string {
	v, _ := c.Param(ParamInstance)
	return strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
}

// String encodes the contact: always name-addr form, so header
// parameters never read as URI parameters.
func (c Contact) String() string {
	if c.Star {
		return "*"
	}
	var b strings.Builder
	if c.Display != "" {
		b.WriteString(quoteString(c.Display))
		b.WriteByte(' ')
	}
	b.WriteByte('<')
	b.WriteString(c.RawURI)
	b.WriteByte('>')
	writeParams(&b, c.Params)
	return b.String()
}

func writeParams(b *strings.Builder, ps []Param) {
	for _, p := range ps {
		b.WriteByte(';')
		b.WriteString(p.Name)
		if !p.HasValue && p.Value == "" && !p.Quoted {
			continue
		}
		b.WriteByte('=')
		if p.Quoted || !isParamValue(p.Value) {
			b.WriteString(quoteString(p.Value))
		} else {
			b.WriteString(p.Value)
		}
	}
}

// FormatContacts writes several contacts as one header value.
func FormatContacts(cs []Contact) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

func findParam(ps []Param, name string) (string, bool) {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

func quoteString(s string) string {
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

func isParamValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isParamValueChar(s[i]) {
			return false
		}
	}
	return true
}

// isParamValueChar is token plus what hosts add (RFC 3261 gen-value).
func isParamValueChar(c byte) bool {
	return isToken(string(c)) || c == ':' || c == '[' || c == ']'
}

// ParseContacts parses a Contact header value: "*" or a comma-separated
// list of name-addr / addr-spec with parameters. Commas inside quotes or
// angle brackets do not split.
func ParseContacts(s string) ([]Contact, error) {
	if len(s) > DefaultMaxHeader {
		return nil, fmt.Errorf("%w: %w: Contact of %d bytes", ErrMalformed, ErrTooLarge, len(s))
	}
	if err := checkValue(s); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "*" {
		return []Contact{{Star: true}}, nil
	}
	p := &addrParser{s: s}
	var out []Contact
	for {
		c, err := p.contact()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.skipWS()
		if p.done() {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, p.errorf("want ',' between contacts")
		}
		p.i++
	}
}

// ParseNameAddr parses a To or From value: exactly one address.
func ParseNameAddr(s string) (Contact, error) {
	cs, err := ParseContacts(s)
	if err != nil {
		return Contact{}, err
	}
	if len(cs) != 1 || cs[0].Star {
		return Contact{}, fmt.Errorf("%w: want one address, got %q", ErrMalformed, clip(s))
	}
	return cs[0], nil
}

type addrParser struct {
	s string
	i int
}

func (p *addrParser) done() bool { return p.i >= len(p.s) }

func (p *addrParser) skipWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *addrParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: address %q at byte %d: %s", ErrMalformed, clip(p.s), p.i, fmt.Sprintf(format, args...))
}

func (p *addrParser) contact() (Contact, error) {
	var c Contact
	p.skipWS()
	if p.done() {
		return c, p.errorf("empty address")
	}
	switch {
	case p.s[p.i] == '"':
		d, err := p.quoted()
		if err != nil {
			return c, err
		}
		c.Display = d
		p.skipWS()
		if p.done() || p.s[p.i] != '<' {
			return c, p.errorf("want '<' after the display name")
		}
		fallthrough
	case p.s[p.i] == '<':
		if err := p.bracketed(&c); err != nil {
			return c, err
		}
	default:
		// Either display-name tokens before '<', or an addr-spec that ends
		// at ';' or ','.
		start := p.i
		for !p.done() && p.s[p.i] != '<' && p.s[p.i] != ';' && p.s[p.i] != ',' && p.s[p.i] != '"' {
			p.i++
		}
		text := strings.TrimSpace(p.s[start:p.i])
		if !p.done() && p.s[p.i] == '<' {
			for _, w := range strings.Fields(text) {
				if !isToken(w) {
					return c, p.errorf("bad display name %q", clip(text))
				}
			}
			c.Display = strings.Join(strings.Fields(text), " ")
			if err := p.bracketed(&c); err != nil {
				return c, err
			}
		} else {
			if text == "" || strings.ContainsAny(text, " \t>") {
				return c, p.errorf("bad address %q", clip(text))
			}
			if err := c.setURI(text); err != nil {
				return c, err
			}
		}
	}
	params, err := p.params()
	if err != nil {
		return c, err
	}
	c.Params = params
	return c, nil
}

func (p *addrParser) bracketed(c *Contact) error {
	p.i++ // '<'
	end := strings.IndexByte(p.s[p.i:], '>')
	if end < 0 {
		return p.errorf("unterminated '<'")
	}
	raw := p.s[p.i : p.i+end]
	p.i += end + 1
	if strings.ContainsAny(raw, "<\" \t") {
		return p.errorf("bad URI %q", clip(raw))
	}
	return c.setURI(raw)
}

func (c *Contact) setURI(raw string) error {
	u, err := ParseURI(raw)
	if err != nil {
		return err
	}
	c.RawURI, c.URI = raw, u
	return nil
}

func (p *addrParser) params() ([]Param, error) {
	var out []Param
	for {
		p.skipWS()
		if p.done() || p.s[p.i] != ';' {
			return out, nil
		}
		p.i++
		p.skipWS()
		start := p.i
		for !p.done() && isToken(p.s[p.i:p.i+1]) {
			p.i++
		}
		name := p.s[start:p.i]
		if name == "" {
			return nil, p.errorf("empty parameter name")
		}
		prm := Param{Name: name}
		p.skipWS()
		if !p.done() && p.s[p.i] == '=' {
			p.i++
			p.skipWS()
			prm.HasValue = true
			if !p.done() && p.s[p.i] == '"' {
				v, err := p.quoted()
				if err != nil {
					return nil, err
				}
				prm.Value, prm.Quoted = v, true
			} else {
				vs := p.i
				for !p.done() && isParamValueChar(p.s[p.i]) {
					p.i++
				}
				if vs == p.i {
					return nil, p.errorf("empty value for %q", clip(name))
				}
				prm.Value = p.s[vs:p.i]
			}
		}
		out = append(out, prm)
	}
}

func (p *addrParser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errorf("quoted-string ends in a backslash")
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.errorf("unterminated quoted-string")
}
