// Package dialback holds the XEP-0220 Server Dialback elements and the
// XEP-0185 key derivation the xmpps2s fakes and client use: parsing a
// <db:result/> or <db:verify/> received from a peer (fuzzed: never panics,
// errors wrap ErrMalformed) and writing one back.
package dialback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"mellium.im/xmpp/jid"
)

// Namespaces of XEP-0220.
const (
	// NS qualifies <db:result/> and <db:verify/> (the "db" prefix is
	// conventional; XEP-0220 §2.4.1).
	NS = "jabber:server:dialback"
	// FeatureNS is the stream feature that advertises dialback with error
	// handling (XEP-0220 §2.4.2).
	FeatureNS = "urn:xmpp:features:dialback"
	// NSStanzas qualifies the error condition of a type='error' element.
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Limits on what Decode accepts; keys of XEP-0185 are 64 hex digits.
const (
	MaxKey   = 1024
	MaxID    = 256
	maxDepth = 8
)

// Types of a dialback answer.
const (
	Valid   = "valid"
	Invalid = "invalid"
	Error   = "error"
)

type sentinel string

func (s sentinel) Error() string { return string(s) }

// ErrMalformed is wrapped by every Decode error.
const ErrMalformed = sentinel("dialback: malformed element")

// ErrDomain is a from or to that is not a bare server domain.
const ErrDomain = sentinel("dialback: not a server domain")

// Key is the dialback key of XEP-0185 §3: the hex HMAC-SHA256, keyed with
// the hex SHA-256 of secret, of "receiving originating streamID". The
// example of XEP-0185 §4 hashes to
// 37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643.
func Key(secret []byte, receiving, originating, streamID string) string {
	h := sha256.Sum256(secret)
	mac := hmac.New(sha256.New, []byte(hex.EncodeToString(h[:])))
	mac.Write([]byte(receiving + " " + originating + " " + streamID))
	return hex.EncodeToString(mac.Sum(nil))
}

// Element is one <db:result/> or <db:verify/>.
type Element struct {
	// Verify is true for <db:verify/>, false for <db:result/>.
	Verify bool
	// From and To are domain names (no localpart, no resource).
	From, To string
	// ID is the stream ID a <db:verify/> asks about; empty on results.
	ID string
	// Type is "" on a request, else Valid, Invalid or Error.
	Type string
	// Key is the dialback key of a request (character data, trimmed).
	Key string
	// Condition is the stanza error condition of a type='error' answer,
	// e.g. "item-not-found".
	Condition string
}

// Name is "result" or "verify".
func (e Element) Name() string {
	if e.Verify {
		return "verify"
	}
	return "result"
}

// String is the element as written on the wire with the "db" prefix, which
// the stream header must declare (xmlns:db='jabber:server:dialback').
func (e Element) String() string {
	var b strings.Builder
	b.WriteString("<db:" + e.Name())
	attr(&b, "from", e.From)
	attr(&b, "to", e.To)
	if e.ID != "" {
		attr(&b, "id", e.ID)
	}
	if e.Type != "" {
		attr(&b, "type", e.Type)
	}
	switch {
	case e.Type == Error && e.Condition != "":
		b.WriteString("><error type='cancel'><" + e.Condition + " xmlns='" + NSStanzas + "'/></error></db:" + e.Name() + ">")
	case e.Key != "":
		b.WriteString(">")
		_ = xml.EscapeText(&b, []byte(e.Key))
		b.WriteString("</db:" + e.Name() + ">")
	default:
		b.WriteString("/>")
	}
	return b.String()
}

func attr(b *strings.Builder, name, v string) {
	b.WriteString(" " + name + "='")
	_ = xml.EscapeText(b, []byte(v))
	b.WriteString("'")
}

// Decode reads one dialback element from r, which must start with its
// StartElement (as a namespace-resolving xml.Decoder returns it) and hold
// the whole element. It checks the namespace, the name, the domain
// addresses (RFC 7622 via mellium.im/xmpp/jid), the type, the sizes, and
// that a request carries a key (an answer may echo one, as Prosody's do).
func Decode(r xml.TokenReader) (Element, error) {
	tok, err := r.Token()
	if err != nil {
		return Element{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return Element{}, fmt.Errorf("%w: want a start element, got %T", ErrMalformed, tok)
	}
	return decodeFrom(start, r)
}

// DecodeElement is Decode when the caller already read start.
func DecodeElement(start xml.StartElement, r xml.TokenReader) (Element, error) {
	return decodeFrom(start, r)
}

func decodeFrom(start xml.StartElement, r xml.TokenReader) (Element, error) {
	var e Element
	if start.Name.Space != NS {
		return e, fmt.Errorf("%w: namespace %q, want %q", ErrMalformed, start.Name.Space, NS)
	}
	switch start.Name.Local {
	case "result":
	case "verify":
		e.Verify = true
	default:
		return e, fmt.Errorf("%w: element <%s/> is not result or verify", ErrMalformed, start.Name.Local)
	}
	for _, a := range start.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "from":
			e.From = a.Value
		case "to":
			e.To = a.Value
		case "id":
			e.ID = a.Value
		case "type":
			e.Type = a.Value
		}
	}
	if err := readBody(r, &e); err != nil {
		return Element{}, err
	}
	if err := e.check(); err != nil {
		return Element{}, err
	}
	return e, nil
}

func readBody(r xml.TokenReader, e *Element) error {
	var text strings.Builder
	depth := 1
	inError := false
	for depth > 0 {
		tok, err := r.Token()
		if err == io.EOF {
			return fmt.Errorf("%w: <db:%s/> not closed", ErrMalformed, e.Name())
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: nested over %d levels", ErrMalformed, maxDepth)
			}
			switch {
			case depth == 2 && t.Name.Local == "error":
				inError = true
			case depth == 3 && inError && t.Name.Space == NSStanzas && e.Condition == "":
				e.Condition = t.Name.Local
			}
		case xml.EndElement:
			depth--
			if depth == 1 {
				inError = false
			}
		case xml.CharData:
			if depth == 1 {
				if text.Len()+len(t) > MaxKey {
					return fmt.Errorf("%w: key over %d bytes", ErrMalformed, MaxKey)
				}
				text.Write(t)
			}
		}
	}
	e.Key = strings.TrimSpace(text.String())
	return nil
}

// check validates e and puts the domains in canonical form.
func (e *Element) check() error {
	for _, d := range []struct {
		name string
		v    *string
	}{{"from", &e.From}, {"to", &e.To}} {
		canon, err := CanonicalDomain(*d.v)
		if err != nil {
			return fmt.Errorf("%w: <db:%s/> %s: %w", ErrMalformed, e.Name(), d.name, err)
		}
		*d.v = canon
	}
	if len(e.ID) > MaxID {
		return fmt.Errorf("%w: id over %d bytes", ErrMalformed, MaxID)
	}
	if e.Verify && e.ID == "" {
		return fmt.Errorf("%w: <db:verify/> without id", ErrMalformed)
	}
	switch e.Type {
	case "":
		if e.Key == "" {
			return fmt.Errorf("%w: <db:%s/> request without a key", ErrMalformed, e.Name())
		}
	case Valid, Invalid:
		// XEP-0220 answers carry no key, but Prosody 0.12 echoes it in
		// <db:verify type='valid'>KEY</db:verify>: accepted, kept.
	case Error:
		e.Key = ""
		if e.Condition == "" {
			e.Condition = "undefined-condition"
		}
	default:
		return fmt.Errorf("%w: type %q", ErrMalformed, e.Type)
	}
	if strings.ContainsFunc(e.Key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return fmt.Errorf("%w: key has characters outside printable ASCII", ErrMalformed)
	}
	if strings.ContainsAny(e.Condition, "<>'\"&/ ") {
		return fmt.Errorf("%w: condition %q", ErrMalformed, e.Condition)
	}
	return nil
}

// DomainForbidden are characters mellium.im/xmpp/jid lets through in a
// domainpart (it applies IDNA only loosely) that no DNS domain has.
const DomainForbidden = " \t\r\n<>'\"&/@\\"

// CanonicalDomain returns s as a domain-only JID (RFC 7622 §3.2) in the
// canonical form mellium.im/xmpp/jid gives it (lower case, no trailing
// dot), or why it is not one: the from and to of dialback elements and of
// server-to-server stream headers must be bare domains.
func CanonicalDomain(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrDomain)
	}
	j, err := jid.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a JID: %w", ErrDomain, s, err)
	}
	if j.Localpart() != "" || j.Resourcepart() != "" {
		return "", fmt.Errorf("%w: %q is not a bare domain", ErrDomain, s)
	}
	d := j.Domainpart()
	if err := CheckDomainpart(d); err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrDomain, s, err)
	}
	return d, nil
}

// CheckDomainpart refuses what mellium.im/xmpp/jid accepts in a
// domainpart but no server domain can be: DomainForbidden characters, a
// port, empty labels ("..", "."), an IP literal in brackets that is not
// IPv6.
func CheckDomainpart(d string) error {
	if strings.HasPrefix(d, "[") && strings.HasSuffix(d, "]") {
		if ip, err := netip.ParseAddr(d[1 : len(d)-1]); err != nil || !ip.Is6() {
			return fmt.Errorf("%w: %q is not an IPv6 literal", ErrDomain, d)
		}
		return nil
	}
	if strings.ContainsAny(d, DomainForbidden+":[]") {
		return fmt.Errorf("%w: %q has characters a domain cannot have", ErrDomain, d)
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" {
			return fmt.Errorf("%w: %q has an empty label", ErrDomain, d)
		}
	}
	return nil
}
