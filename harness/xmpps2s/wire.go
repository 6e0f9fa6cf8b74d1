package xmpps2s

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"unicode"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"example.com/cutover/harness/xmpps2s/dialback"
)

// Namespaces on the wire.
const (
	nsStream     = stream.NS // http://etherx.jabber.org/streams
	nsServer     = "jabber:server"
	nsTLS        = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL       = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsStreamErr  = stream.NSError
	nsStanzaErr  = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsPing       = "urn:xmpp:ping"
	maxDepth     = 32
	maxHeader    = 4096
	maxRecord    = 2048
	alpnS2S      = "xmpp-server"
	defaultLimit = 64 << 10
)

// limitReader hands the XML decoder one byte at a time (it implements
// io.ByteReader, so encoding/xml adds no buffer of its own and never reads
// past the element it returns) and counts the bytes of the current
// element: over limit, reads fail with ErrTooLarge. It can also copy the
// bytes it hands out, which is how the raw text of each element is kept as
// evidence and how a stream header is replayed to mellium.
type limitReader struct {
	br    *bufio.Reader
	limit int
	n     int

	mu      sync.Mutex // guards n for reset from a handler goroutine
	capture bool
	buf     []byte
	capMax  int
}

func newLimitReader(r io.Reader, limit int) *limitReader {
	return &limitReader{br: bufio.NewReaderSize(r, 4096), limit: limit}
}

func (r *limitReader) ReadByte() (byte, error) {
	r.mu.Lock()
	if r.n >= r.limit {
		r.mu.Unlock()
		return 0, fmt.Errorf("%w: over %d bytes", ErrTooLarge, r.limit)
	}
	r.n++
	r.mu.Unlock()
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, err
	}
	if r.capture && len(r.buf) < r.capMax {
		r.buf = append(r.buf, b)
	}
	return b, nil
}

// Read satisfies io.Reader for decoders that do not use ReadByte.
func (r *limitReader) Read(p []byte) (int, error) {
	for i := range p {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 {
				return i, nil
			}
			return 0, err
		}
		p[i] = b
		if r.br.Buffered() == 0 {
			return i + 1, nil
		}
	}
	return len(p), nil
}

// reset starts a new element's budget.
func (r *limitReader) reset() {
	r.mu.Lock()
	r.n = 0
	r.mu.Unlock()
}

func (r *limitReader) startCapture(max int) {
	r.capture, r.buf, r.capMax = true, r.buf[:0], max
}

func (r *limitReader) stopCapture() []byte {
	r.capture = false
	return bytes.Clone(r.buf)
}

// wire is one direction-agnostic XML stream on a connection: a decoder
// that is replaced at each stream restart (RFC 6120 §4.3.3), and raw
// writes. Only the negotiation code and the inbound stanza loop use it;
// outbound stanzas go through a mellium session built on it.
type wire struct {
	conn net.Conn
	lr   *limitReader
	dec  *xml.Decoder
	wmu  sync.Mutex
	max  int
}

func newWire(c net.Conn, limit int) *wire {
	w := &wire{max: limit}
	w.restart(c)
	return w
}

// restart begins a new XML document on c (the same connection after SASL,
// the TLS connection after STARTTLS).
func (w *wire) restart(c net.Conn) {
	w.wmu.Lock()
	w.conn = c
	w.wmu.Unlock()
	w.lr = newLimitReader(c, w.max)
	w.dec = xml.NewDecoder(w.lr)
}

// expectMarkup skips whitespace and fails at once when the next byte
// cannot start markup: the decoder would otherwise wait for a '<' that a
// peer speaking another protocol (TLS, HTTP, SSH) never sends. Called only
// where the decoder holds no byte of its own (at the start of a document,
// or after a complete element).
func (w *wire) expectMarkup() error {
	for {
		b, err := w.lr.br.Peek(1)
		if err != nil {
			return streamReadErr("peek", err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			if _, err := w.lr.ReadByte(); err != nil {
				return err
			}
			w.lr.reset() // whitespace keepalives never exhaust the budget
		case '<':
			return nil
		default:
			return fmt.Errorf("%w: byte %q where markup must start (not an XML stream)", ErrMalformed, b[0])
		}
	}
}

// buffered reports bytes received but not yet decoded: after <proceed/>
// there must be none (a peer that sends data before the TLS handshake is
// injecting plaintext, RFC 6120 §5.4.3).
func (w *wire) buffered() int { return w.lr.br.Buffered() }

func (w *wire) write(s string) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err := io.WriteString(w.conn, s)
	return netErr("write", err)
}

// header is an opening <stream:stream> as received.
type header struct {
	To, From string // canonical domains, "" when absent
	ID       string
	Version  string
	NS       string // default namespace
	Lang     string
	DB       bool   // xmlns:db='jabber:server:dialback' declared
	Raw      []byte // the bytes of the header, XML declaration included
}

// readHeader reads the next opening stream header, skipping an XML
// declaration and whitespace, within maxHeader bytes.
func (w *wire) readHeader() (header, error) {
	w.lr.reset()
	w.lr.limit = maxHeader
	defer func() { w.lr.limit = w.max }()
	w.lr.startCapture(maxHeader)
	var h header
	if err := w.expectMarkup(); err != nil {
		w.lr.stopCapture()
		return h, fmt.Errorf("read stream header: %w", err)
	}
	for {
		tok, err := w.dec.Token()
		if err != nil {
			w.lr.stopCapture()
			return h, streamReadErr("read stream header", err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" {
				w.lr.stopCapture()
				return h, fmt.Errorf("read stream header: %w: processing instruction <?%s?>", ErrMalformed, t.Target)
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				w.lr.stopCapture()
				return h, fmt.Errorf("read stream header: %w: text %q before the header", ErrMalformed, clip(string(t), 40))
			}
		case xml.StartElement:
			h.Raw = w.lr.stopCapture()
			if err := parseHeader(t, &h); err != nil {
				return h, fmt.Errorf("read stream header: %w", err)
			}
			return h, nil
		default:
			w.lr.stopCapture()
			return h, fmt.Errorf("read stream header: %w: %T before the header", ErrMalformed, tok)
		}
	}
}

// parseHeader checks a stream start element of a server-to-server stream
// (RFC 6120 §4.7): the stream namespace and name, the jabber:server
// default namespace, version 1.0 or later, and domain-only from and to.
// Errors carry the stream error condition to answer with.
func parseHeader(t xml.StartElement, h *header) error {
	if t.Name.Space != nsStream || t.Name.Local != "stream" {
		return &condError{cond: "invalid-namespace", err: fmt.Errorf("%w: first element is <%s xmlns=%q>, want <stream:stream>", ErrMalformed, t.Name.Local, t.Name.Space)}
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			h.NS = a.Value
		case a.Name.Space == "xmlns" && a.Value == dialback.NS:
			h.DB = true
		case a.Name.Space == "" && a.Name.Local == "to":
			h.To = a.Value
		case a.Name.Space == "" && a.Name.Local == "from":
			h.From = a.Value
		case a.Name.Space == "" && a.Name.Local == "id":
			h.ID = a.Value
		case a.Name.Space == "" && a.Name.Local == "version":
			h.Version = a.Value
		case a.Name.Local == "lang":
			h.Lang = a.Value
		}
	}
	if h.NS != nsServer {
		return &condError{cond: "invalid-namespace", err: fmt.Errorf("%w: default namespace %q, want %q", ErrProtocol, h.NS, nsServer)}
	}
	if h.Version == "" {
		return &condError{cond: "unsupported-version", err: fmt.Errorf("%w: no version attribute (pre-RFC 6120 stream)", ErrProtocol)}
	}
	if v, err := stream.ParseVersion(h.Version); err != nil || v.Major < 1 {
		return &condError{cond: "unsupported-version", err: fmt.Errorf("%w: version %q", ErrProtocol, clip(h.Version, 20))}
	}
	if len(h.ID) > 256 {
		return &condError{cond: "invalid-id", err: fmt.Errorf("%w: stream id of %d bytes", ErrProtocol, len(h.ID))}
	}
	for _, p := range []*string{&h.To, &h.From} {
		if *p == "" {
			continue
		}
		d, err := ParseDomain(*p)
		if err != nil {
			return &condError{cond: "improper-addressing", err: err}
		}
		*p = d
	}
	return nil
}

// condError is an error with the stream error condition that answers it.
type condError struct {
	cond string
	err  error
}

func (e *condError) Error() string { return e.err.Error() }
func (e *condError) Unwrap() error { return e.err }

// conditionOf is the stream error condition to send for err.
func conditionOf(err error) string {
	var ce *condError
	switch {
	case errors.As(err, &ce):
		return ce.cond
	case errors.Is(err, ErrTooLarge):
		return "policy-violation"
	case errors.Is(err, ErrMalformed):
		return "not-well-formed"
	case errors.Is(err, ErrTimeout):
		return "connection-timeout"
	}
	return "undefined-condition"
}

// element is one top-level element of a stream: its start, every token
// inside (copied), and its raw text.
type element struct {
	start  xml.StartElement
	tokens []xml.Token
	raw    string
}

func (e *element) is(space, local string) bool {
	return e.start.Name.Space == space && e.start.Name.Local == local
}

func (e *element) attr(name string) string {
	for _, a := range e.start.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// reader replays the element as tokens: start, inner tokens, end.
func (e *element) reader() xml.TokenReader {
	toks := make([]xml.Token, 0, len(e.tokens)+2)
	toks = append(toks, e.start)
	toks = append(toks, e.tokens...)
	toks = append(toks, e.start.End())
	i := 0
	return tokenFunc(func() (xml.Token, error) {
		if i >= len(toks) {
			return nil, io.EOF
		}
		i++
		return toks[i-1], nil
	})
}

// text is the character data directly inside the element.
func (e *element) text() string {
	var b strings.Builder
	depth := 0
	for _, t := range e.tokens {
		switch t := t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 {
				b.Write(t)
			}
		}
	}
	return b.String()
}

// children lists the local names of the direct children in namespace ns
// (any namespace when ns is "").
func (e *element) children(ns string) []string {
	var out []string
	depth := 0
	for _, t := range e.tokens {
		switch t := t.(type) {
		case xml.StartElement:
			if depth == 0 && (ns == "" || t.Name.Space == ns) {
				out = append(out, t.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return out
}

type tokenFunc func() (xml.Token, error)

func (f tokenFunc) Token() (xml.Token, error) { return f() }

// errStreamEnd is returned by next when the peer closed its stream with
// </stream:stream>.
const errStreamEnd = sentinel("xmpps2s: peer closed the stream (</stream:stream>)")

// next reads the next top-level element, skipping whitespace keepalives.
// A <stream:error/> comes back as *StreamError, the end of the stream as
// an error wrapping ErrClosed, and restricted XML (comments, processing
// instructions, DTDs: RFC 6120 §11.1), text at the top level, nesting over
// maxDepth or an element over the size limit as ErrMalformed/ErrTooLarge.
func (w *wire) next() (*element, error) {
	w.lr.reset()
	if err := w.expectMarkup(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var el *element
	depth := 0
	for {
		if depth == 0 && el == nil {
			w.lr.startCapture(maxRecord)
		}
		tok, err := w.dec.Token()
		if err != nil {
			w.lr.stopCapture()
			return nil, streamReadErr("read", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := checkNames(t); err != nil {
				w.lr.stopCapture()
				return nil, fmt.Errorf("read: %w", err)
			}
			if el == nil {
				el = &element{start: t.Copy()}
				depth = 1
				continue
			}
			depth++
			if depth > maxDepth {
				w.lr.stopCapture()
				return nil, fmt.Errorf("read <%s/>: %w: nested over %d levels", el.start.Name.Local, ErrMalformed, maxDepth)
			}
			el.tokens = append(el.tokens, t.Copy())
		case xml.EndElement:
			if el == nil {
				w.lr.stopCapture()
				if t.Name.Space == nsStream && t.Name.Local == "stream" {
					return nil, fmt.Errorf("read: %w: %w", ErrClosed, errStreamEnd)
				}
				return nil, fmt.Errorf("read: %w: unexpected </%s>", ErrMalformed, t.Name.Local)
			}
			depth--
			if depth == 0 {
				el.raw = strings.TrimSpace(string(w.lr.stopCapture()))
				if !strings.HasPrefix(el.raw, "<") {
					// The decoder read the '<' while ending the whitespace
					// before the element, before the capture restarted.
					el.raw = "<" + el.raw
				}
				if el.is(nsStream, "error") {
					return nil, parseStreamError(el)
				}
				return el, nil
			}
			el.tokens = append(el.tokens, t)
		case xml.CharData:
			if el == nil {
				if len(bytes.TrimSpace(t)) != 0 {
					w.lr.stopCapture()
					return nil, fmt.Errorf("read: %w: text %q between stanzas", ErrMalformed, clip(string(t), 40))
				}
				w.lr.reset()
				continue
			}
			el.tokens = append(el.tokens, t.Copy())
		case xml.Comment, xml.ProcInst, xml.Directive:
			w.lr.stopCapture()
			return nil, &condError{cond: "restricted-xml", err: fmt.Errorf("read: %w: %T is restricted XML (RFC 6120 §11.1)", ErrMalformed, tok)}
		}
	}
}

// checkNames refuses element and attribute names that are not XML names
// (encoding/xml's decoder lets some through, e.g. a leading digit, that
// its encoder then refuses), and an attribute given twice (XML 1.0
// "Unique Att Spec", Namespaces in XML 1.0 §6.3), which encoding/xml does
// not check either.
func checkNames(t xml.StartElement) error {
	if !xmlName(t.Name.Local) {
		return fmt.Errorf("%w: %q is not an XML name", ErrMalformed, clip(t.Name.Local, 40))
	}
	seen := make(map[xml.Name]bool, len(t.Attr))
	for _, a := range t.Attr {
		if !xmlName(a.Name.Local) {
			return fmt.Errorf("%w: attribute %q is not an XML name", ErrMalformed, clip(a.Name.Local, 40))
		}
		if seen[a.Name] {
			return fmt.Errorf("%w: attribute %q given twice", ErrMalformed, clip(a.Name.Local, 40))
		}
		seen[a.Name] = true
	}
	return nil
}

func xmlName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		default:
			return false
		}
	}
	return s != ""
}

// streamReadErr classifies a decoder error: size limit, syntax, EOF,
// deadline.
func streamReadErr(op string, err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, ErrTooLarge):
		return fmt.Errorf("%s: %w", op, err)
	case errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF"):
		return fmt.Errorf("%s: %w: connection ended inside an element", op, ErrClosed)
	case errors.As(err, &se):
		return fmt.Errorf("%s: %w: %s (line %d)", op, ErrMalformed, se.Msg, se.Line)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: %w: connection closed", op, ErrClosed)
	}
	var ne net.Error
	if errors.As(err, &ne) || isClosed(err) {
		return netErr(op, err)
	}
	// encoding/xml reports some violations (an XML declaration with
	// another version or encoding) as plain errors.
	return fmt.Errorf("%s: %w: %w", op, ErrMalformed, err)
}

func parseStreamError(el *element) *StreamError {
	se := &StreamError{Raw: el.raw, Condition: "undefined-condition"}
	var me stream.Error
	if err := xml.NewTokenDecoder(el.reader()).Decode(&me); err == nil {
		if me.Err != "" {
			se.Condition = me.Err
		}
		for _, t := range me.Text {
			se.Text = clip(t.Value, 512)
			break
		}
	}
	return se
}

// streamErrorXML is a <stream:error/> followed by the closing tag.
func streamErrorXML(cond, text string) string {
	s := "<stream:error><" + cond + " xmlns='" + nsStreamErr + "'/>"
	if text != "" {
		s += "<text xmlns='" + nsStreamErr + "'>" + escape(text) + "</text>"
	}
	return s + "</stream:error></stream:stream>"
}

// headerXML is our opening stream header.
func headerXML(from, to, id string, db bool) string {
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='" + nsStream + "'")
	if db {
		b.WriteString(" xmlns:db='" + dialback.NS + "'")
	}
	if from != "" {
		b.WriteString(" from='" + escape(from) + "'")
	}
	if to != "" {
		b.WriteString(" to='" + escape(to) + "'")
	}
	if id != "" {
		b.WriteString(" id='" + escape(id) + "'")
	}
	b.WriteString(" version='1.0'>")
	return b.String()
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ParseDomain parses a domain-only JID as the from and to of a
// server-to-server stream must be (RFC 7622 via mellium.im/xmpp/jid) and
// returns it in canonical form. Errors wrap ErrJID.
func ParseDomain(s string) (string, error) {
	d, err := dialback.CanonicalDomain(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrJID, err)
	}
	return d, nil
}

// ParseAddress parses the from or to of a stanza: a JID (RFC 7622) with
// a domain that ParseDomain accepts. Errors wrap ErrJID.
func ParseAddress(s string) (jid.JID, error) {
	if s == "" {
		return jid.JID{}, fmt.Errorf("%w: empty address", ErrJID)
	}
	j, err := jid.Parse(s)
	if err != nil {
		return jid.JID{}, fmt.Errorf("%w: %q: %w", ErrJID, clip(s, 64), err)
	}
	// jid.Parse normalised the domain already; only what CanonicalDomain
	// refuses on top of it is left to check.
	if err := dialback.CheckDomainpart(j.Domainpart()); err != nil {
		return jid.JID{}, fmt.Errorf("%w: %q: %w", ErrJID, clip(s, 64), err)
	}
	return j, nil
}
