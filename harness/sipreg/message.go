package sipreg

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const (
	// ErrMalformed is wrapped by every error about SIP a peer sent: a bad
	// start line, a bad header, a broken challenge, a truncated message.
	ErrMalformed = Sentinel("sipreg: malformed SIP")
	// ErrTooLarge is wrapped (with ErrMalformed) when a message exceeds its
	// Limits.
	ErrTooLarge = Sentinel("sipreg: SIP message too large")

	// DefaultMaxHeader bounds the start line plus headers of one message
	// (16 KiB): a REGISTER exchange never needs more, and a 64 KiB header is
	// a hostile or broken peer.
	DefaultMaxHeader = 16 << 10
	// DefaultMaxBody bounds a message body (64 KiB).
	DefaultMaxBody = 64 << 10
)

// Sentinel is a constant error, so the ErrXxx values need no package
// variables.
type Sentinel string

func (s Sentinel) Error() string { return string(s) }

// Limits bound what ReadMessage accepts; the zero value means the defaults.
type Limits struct {
	MaxHeader int
	MaxBody   int
}

func (l Limits) orDefault() Limits {
	if l.MaxHeader <= 0 {
		l.MaxHeader = DefaultMaxHeader
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	return l
}

// Header is one header field as received: Name keeps its spelling
// (compact forms included), Value is trimmed and unfolded.
type Header struct {
	Name, Value string
}

// Message is a SIP request or response (RFC 3261 §7), kept as text: the
// harness needs what was said on the wire, not a typed model. A request
// has Method and RequestURI; a response has StatusCode and Reason.
type Message struct {
	Method, RequestURI string
	StatusCode         int
	Reason             string
	Headers            []Header
	Body               []byte
}

// IsResponse reports whether m is a response.
func (m *Message) IsResponse() bool { return m.StatusCode != 0 }

// expand returns the long name of a compact form (RFC 3261 §7.3.3), in
// lower case, and any other name as it is.
func expand(name string) string {
	if len(name) != 1 {
		return name
	}
	switch name[0] | 0x20 {
	case 'i':
		return "call-id"
	case 'm':
		return "contact"
	case 'e':
		return "content-encoding"
	case 'l':
		return "content-length"
	case 'c':
		return "content-type"
	case 'f':
		return "from"
	case 's':
		return "subject"
	case 'k':
		return "supported"
	case 't':
		return "to"
	case 'v':
		return "via"
	}
	return name
}

// sameHeader reports whether two header names are one header: case
// folded, compact forms equal to their long names. It allocates nothing
// (the registrar compares every header of every request).
func sameHeader(a, b string) bool { return strings.EqualFold(expand(a), expand(b)) }

// Get returns the first value of header name (case-insensitive; compact
// forms match their long names), or "".
func (m *Message) Get(name string) string {
	for _, h := range m.Headers {
		if sameHeader(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Values returns every value of header name, in order.
func (m *Message) Values(name string) []string {
	var out []string
	for _, h := range m.Headers {
		if sameHeader(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// Set replaces every header name with one value (appended if absent).
func (m *Message) Set(name, value string) {
	m.Del(name)
	m.Headers = append(m.Headers, Header{Name: name, Value: value})
}

// Add appends a header.
func (m *Message) Add(name, value string) {
	m.Headers = append(m.Headers, Header{Name: name, Value: value})
}

// Del removes every header name.
func (m *Message) Del(name string) {
	out := m.Headers[:0]
	for _, h := range m.Headers {
		if !sameHeader(h.Name, name) {
			out = append(out, h)
		}
	}
	m.Headers = out
}

// StartLine is the request line or status line, without CRLF.
func (m *Message) StartLine() string {
	if m.IsResponse() {
		return fmt.Sprintf("SIP/2.0 %03d %s", m.StatusCode, m.Reason)
	}
	return m.Method + " " + m.RequestURI + " SIP/2.0"
}

// Bytes encodes m for the wire. Headers are written as they are; the
// caller keeps Content-Length right (NewRequest does).
func (m *Message) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(m.StartLine())
	b.WriteString("\r\n")
	for _, h := range m.Headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(m.Body)
	return b.Bytes()
}

// String is Bytes as a string.
func (m *Message) String() string { return string(m.Bytes()) }

// isSecret reports whether a header carries credentials: Redacted never
// shows their tokens.
func isSecret(name string) bool {
	return sameHeader(name, "authorization") || sameHeader(name, "proxy-authorization")
}

// Redacted renders m for evidence: the credentials in Authorization and
// Proxy-Authorization are replaced by their scheme and "[redacted]", a
// body by its length.
func (m *Message) Redacted() string {
	var b strings.Builder
	b.WriteString(m.StartLine())
	b.WriteString("\r\n")
	for _, h := range m.Headers {
		v := h.Value
		if isSecret(h.Name) {
			v = RedactCredentials(v)
		}
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	if len(m.Body) > 0 {
		fmt.Fprintf(&b, "\r\n[%d-byte body]\r\n", len(m.Body))
	}
	return b.String()
}

// RedactCredentials keeps the auth-scheme of a credentials value and
// hides the rest: "Bearer [redacted]".
func RedactCredentials(v string) string {
	scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	if scheme == "" || len(scheme) > 32 {
		return "[redacted]"
	}
	return scheme + " [redacted]"
}

// ContentLength is the Content-Length value; absent is 0.
func (m *Message) ContentLength() (int, error) {
	v := m.Get("Content-Length")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: bad Content-Length %q", ErrMalformed, clip(v))
	}
	return n, nil
}

// CSeq returns the CSeq number and method.
func (m *Message) CSeq() (uint32, string, error) {
	v := m.Get("CSeq")
	num, method, ok := strings.Cut(strings.TrimSpace(v), " ")
	n, err := strconv.ParseUint(num, 10, 32)
	if !ok || err != nil || strings.TrimSpace(method) == "" {
		return 0, "", fmt.Errorf("%w: bad CSeq %q", ErrMalformed, clip(v))
	}
	return uint32(n), strings.TrimSpace(method), nil
}

// ParseMessage parses one complete message held in b (a datagram, a
// test vector). Bytes after the body are refused.
func ParseMessage(b []byte, lim Limits) (*Message, error) {
	br := bufio.NewReaderSize(bytes.NewReader(b), 4096)
	m, err := ReadMessage(br, lim)
	if err != nil {
		return nil, err
	}
	if rest, _ := br.Peek(1); len(rest) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the message", ErrMalformed, br.Buffered())
	}
	return m, nil
}

// ReadMessage reads one message from a stream (RFC 3261 §7, §18.3):
// CRLF keepalives before it are skipped, the header section is bounded by
// lim.MaxHeader and the body (Content-Length, absent = 0) by lim.MaxBody.
// Every error about the bytes wraps ErrMalformed; io.EOF before any byte
// of a message is returned as is, and a read error of the connection
// (such as a deadline) is wrapped as it came.
func ReadMessage(r *bufio.Reader, lim Limits) (*Message, error) {
	lim = lim.orDefault()
	total := 0
	readLine := func() ([]byte, error) {
		var line []byte
		for {
			frag, err := r.ReadSlice('\n')
			total += len(frag)
			if total > lim.MaxHeader {
				return nil, fmt.Errorf("%w: %w: header section over %d bytes", ErrMalformed, ErrTooLarge, lim.MaxHeader)
			}
			line = append(line, frag...)
			if err == nil {
				return bytes.TrimRight(line, "\r\n"), nil
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				if len(line) > 0 && errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return line, err
			}
		}
	}

	var start []byte
	for {
		line, err := readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && total == 0 {
				return nil, io.EOF
			}
			return nil, readErr("start line", err)
		}
		if len(line) > 0 {
			start = line
			break
		}
	}
	m, err := parseStartLine(string(start))
	if err != nil {
		return nil, err
	}
	for {
		line, err := readLine()
		if err != nil {
			return nil, readErr("headers", err)
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Folded continuation of the previous header (RFC 3261 §7.3.1).
			if len(m.Headers) == 0 {
				return nil, fmt.Errorf("%w: continuation line before any header", ErrMalformed)
			}
			last := &m.Headers[len(m.Headers)-1]
			cont := strings.TrimSpace(string(line))
			if err := checkValue(cont); err != nil {
				return nil, err
			}
			if last.Value == "" {
				last.Value = cont
			} else if cont != "" {
				last.Value += " " + cont
			}
			continue
		}
		h, err := parseHeaderLine(string(line))
		if err != nil {
			return nil, err
		}
		m.Headers = append(m.Headers, h)
	}
	n, err := m.ContentLength()
	if err != nil {
		return nil, err
	}
	if n > lim.MaxBody {
		return nil, fmt.Errorf("%w: %w: Content-Length %d over %d", ErrMalformed, ErrTooLarge, n, lim.MaxBody)
	}
	if n > 0 {
		m.Body = make([]byte, n)
		if _, err := io.ReadFull(r, m.Body); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, readErr("body", err)
		}
	}
	return m, nil
}

// readErr wraps a read failure: a truncated message is malformed; a
// connection error (timeout, reset) keeps its own identity.
func readErr(where string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated in the %s: %w", ErrMalformed, where, err)
	}
	if errors.Is(err, ErrMalformed) {
		return err
	}
	return fmt.Errorf("sipreg: read %s: %w", where, err)
}

func parseStartLine(s string) (*Message, error) {
	if err := checkValue(s); err != nil {
		return nil, fmt.Errorf("%w: start line %q", err, clip(s))
	}
	if rest, ok := cutPrefixFold(s, "SIP/2.0 "); ok {
		code, reason, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(code)
		if err != nil || len(code) != 3 || n < 100 || n > 699 {
			return nil, fmt.Errorf("%w: bad start line %q: no status code", ErrMalformed, clip(s))
		}
		return &Message{StatusCode: n, Reason: reason}, nil
	}
	method, rest, ok1 := strings.Cut(s, " ")
	uri, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || uri == "" || strings.ContainsAny(uri, " \t") ||
		!strings.EqualFold(version, "SIP/2.0") {
		return nil, fmt.Errorf("%w: bad start line %q", ErrMalformed, clip(s))
	}
	return &Message{Method: method, RequestURI: uri}, nil
}

func parseHeaderLine(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimRight(name, " \t")
	if !ok || !isToken(name) {
		return Header{}, fmt.Errorf("%w: bad header line %q", ErrMalformed, clip(s))
	}
	value = strings.TrimSpace(value)
	if err := checkValue(value); err != nil {
		return Header{}, fmt.Errorf("%w in header %s", err, clip(name))
	}
	return Header{Name: name, Value: value}, nil
}

// checkValue refuses control characters other than HTAB.
func checkValue(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Errorf("%w: control character 0x%02x", ErrMalformed, c)
		}
	}
	return nil
}

// isToken is RFC 3261 §25.1 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-.!%*_+`'~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// clip keeps messages short when input is huge.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// SetBody sets the body and its Content-Length.
func (m *Message) SetBody(b []byte) {
	m.Body = b
	m.Set("Content-Length", strconv.Itoa(len(b)))
}

// Reply starts a response to req (RFC 3261 §8.2.6): Via, From, To (with a
// tag unless the code is 100), Call-ID and CSeq copied; no body yet.
func Reply(req *Message, code int, reason string) *Message {
	res := &Message{StatusCode: code, Reason: reason}
	for _, v := range req.Values("Via") {
		res.Add("Via", v)
	}
	for _, h := range []string{"From", "To", "Call-ID", "CSeq"} {
		v := req.Get(h)
		if v == "" {
			continue
		}
		if h == "To" && code != 100 && !strings.Contains(v, ";tag=") {
			v += ";tag=" + randomHex(6)
		}
		res.Add(h, v)
	}
	return res
}

// randomHex returns n random bytes in hex, for tags, branches and Call-IDs.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RandomHex is randomHex for the client package.
func RandomHex(n int) string { return randomHex(n) }
