package hybrid

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// The XMPP binding: Jabber clients reach IM&P over c2s (RFC 6120:
// STARTTLS, SASL PLAIN, resource binding; RFC 6121 messages and
// presence), and the connector reaches IM&P over its XMPP link (TCP 7400,
// no TLS, a component stream as XEP-0114 has it). Message maps to
// <message type=chat|groupchat|error|headline>, HTML to XEP-0071, Files to
// XEP-0066 out-of-band data, refusals to a stanza <error> with text.

// Namespaces.
const (
	NSClient    = "jabber:client"
	NSComponent = "jabber:component:accept"
	nsStream    = "http://etherx.jabber.org/streams"
	nsTLS       = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL      = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind      = "urn:ietf:params:xml:ns:xmpp-bind"
	nsStanzas   = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsXHTML     = "http://jabber.org/protocol/xhtml-im"
	nsOOB       = "jabber:x:oob"
)

// ErrXMPP is wrapped by every XMPP binding error.
const ErrXMPP = sentinel("hybrid: xmpp")

// ErrAuth is a SASL failure: the server refused the credentials.
const ErrAuth = sentinel("hybrid: xmpp: not-authorized")

// Stanza is an XMPP message, presence or iq as the binding reads and
// writes it.
type Stanza struct {
	XMLName xml.Name
	From    string       `xml:"from,attr,omitempty"`
	To      string       `xml:"to,attr,omitempty"`
	Type    string       `xml:"type,attr,omitempty"`
	ID      string       `xml:"id,attr,omitempty"`
	Body    string       `xml:"body,omitempty"`
	HTML    *xhtmlIM     `xml:"http://jabber.org/protocol/xhtml-im html,omitempty"`
	OOB     []oobData    `xml:"jabber:x:oob x,omitempty"`
	Show    string       `xml:"show,omitempty"`
	Status  string       `xml:"status,omitempty"`
	Error   *StanzaError `xml:"error,omitempty"`
	Bind    *bindElem    `xml:"urn:ietf:params:xml:ns:xmpp-bind bind,omitempty"`
}

type xhtmlIM struct {
	Inner string `xml:",innerxml"`
}

type oobData struct {
	URL  string `xml:"url"`
	Desc string `xml:"desc,omitempty"`
}

// StanzaError is a stanza <error> with its text.
type StanzaError struct {
	Type string `xml:"type,attr,omitempty"`
	Text string `xml:"urn:ietf:params:xml:ns:xmpp-stanzas text,omitempty"`
}

type bindElem struct {
	Resource string `xml:"resource,omitempty"`
	JID      string `xml:"jid,omitempty"`
}

// StanzaOf is m as a <message>.
func StanzaOf(m Message) Stanza {
	s := Stanza{XMLName: xml.Name{Local: "message"}, From: m.From, To: m.To, Type: m.Type, ID: m.ID, Body: m.Body}
	if m.HTML != "" {
		s.HTML = &xhtmlIM{Inner: m.HTML}
	}
	for _, f := range m.Files {
		s.OOB = append(s.OOB, oobData{URL: f.URL, Desc: f.Name})
	}
	if m.Error != "" {
		s.Error = &StanzaError{Type: "cancel", Text: m.Error}
	}
	return s
}

// Message is s as a Message (bare JIDs).
func (s Stanza) Message() Message {
	m := Message{ID: s.ID, From: Bare(s.From), To: Bare(s.To), Type: s.Type, Body: s.Body}
	if m.Type == "" || m.Type == "normal" {
		m.Type = TypeChat
	}
	if s.HTML != nil {
		m.HTML = s.HTML.Inner
	}
	for _, o := range s.OOB {
		m.Files = append(m.Files, File{Name: o.Desc, URL: o.URL})
	}
	if s.Error != nil {
		m.Error = s.Error.Text
	}
	return m
}

// Bare strips a JID's resource.
func Bare(jid string) string {
	b, _, _ := strings.Cut(jid, "/")
	return strings.ToLower(b)
}

// Stream is one XMPP stream over a connection: read elements, write them
// (writes are serialised).
type Stream struct {
	conn net.Conn
	dec  *xml.Decoder
	wmu  sync.Mutex
	// ID is the stream ID the receiving side sent.
	ID string
}

// NewStream wraps conn.
func NewStream(conn net.Conn) *Stream {
	return &Stream{conn: conn, dec: xml.NewDecoder(conn)}
}

// Conn is the underlying connection.
func (s *Stream) Conn() net.Conn { return s.conn }

// Close closes the connection.
func (s *Stream) Close() error { return s.conn.Close() }

func (s *Stream) write(str string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := io.WriteString(s.conn, str)
	return err
}

// Send writes one element.
func (s *Stream) Send(v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: encode: %v", ErrXMPP, err)
	}
	return s.write(string(b))
}

// Open writes the initiating stream header.
func (s *Stream) Open(ns, to string) error {
	return s.write(fmt.Sprintf(`<?xml version='1.0'?><stream:stream xmlns='%s' xmlns:stream='%s' to='%s' version='1.0'>`, ns, nsStream, xmlAttr(to)))
}

// Accept writes the responding stream header with a fresh stream ID.
func (s *Stream) Accept(ns, from string) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s.ID = hex.EncodeToString(b)
	return s.write(fmt.Sprintf(`<?xml version='1.0'?><stream:stream xmlns='%s' xmlns:stream='%s' from='%s' id='%s' version='1.0'>`, ns, nsStream, xmlAttr(from), s.ID))
}

func xmlAttr(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return strings.ReplaceAll(b.String(), "'", "&#39;")
}

// Header reads up to the peer's stream header and returns it.
func (s *Stream) Header() (xml.StartElement, error) {
	for {
		t, err := s.dec.Token()
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("%w: stream header: %w", ErrXMPP, err)
		}
		if se, ok := t.(xml.StartElement); ok {
			if se.Name.Local != "stream" || se.Name.Space != nsStream {
				return se, fmt.Errorf("%w: want a stream header, got <%s>", ErrXMPP, se.Name.Local)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					s.ID = a.Value
				}
			}
			return se, nil
		}
	}
}

// Next reads the next top-level element into a Stanza (its name in
// XMLName); the stream's end is io.EOF.
func (s *Stream) Next() (Stanza, error) {
	for {
		t, err := s.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Stanza{}, io.EOF
			}
			return Stanza{}, fmt.Errorf("%w: read: %w", ErrXMPP, err)
		}
		switch e := t.(type) {
		case xml.StartElement:
			var st Stanza
			if err := s.dec.DecodeElement(&st, &e); err != nil {
				return Stanza{}, fmt.Errorf("%w: read <%s>: %w", ErrXMPP, e.Name.Local, err)
			}
			st.XMLName = e.Name
			return st, nil
		case xml.EndElement:
			return Stanza{}, io.EOF // </stream:stream>
		}
	}
}

// rawElement reads the next element's name and its character data (SASL
// <auth>, <starttls/>, <handshake>).
func (s *Stream) rawElement() (xml.Name, string, error) {
	var v struct {
		XMLName xml.Name
		Text    string `xml:",chardata"`
	}
	for {
		t, err := s.dec.Token()
		if err != nil {
			return xml.Name{}, "", fmt.Errorf("%w: read: %w", ErrXMPP, err)
		}
		if e, ok := t.(xml.StartElement); ok {
			if err := s.dec.DecodeElement(&v, &e); err != nil {
				return xml.Name{}, "", fmt.Errorf("%w: read: %w", ErrXMPP, err)
			}
			return e.Name, strings.TrimSpace(v.Text), nil
		}
		if _, ok := t.(xml.EndElement); ok {
			return xml.Name{}, "", fmt.Errorf("%w: stream closed", ErrXMPP)
		}
	}
}

// C2SAuth checks a SASL PLAIN identity and password and returns the bare
// JID it signs in as.
type C2SAuth func(user, password string) (jid string, ok bool)

// ServeC2S runs the server side of a c2s stream's negotiation on conn:
// STARTTLS (required) with cfg, SASL PLAIN checked by auth, resource
// binding. It returns the stream after binding and the bound bare JID.
func ServeC2S(conn net.Conn, cfg *tls.Config, domain string, auth C2SAuth) (*Stream, string, error) {
	s := NewStream(conn)
	if _, err := s.Header(); err != nil {
		return nil, "", err
	}
	if err := s.Accept(NSClient, domain); err != nil {
		return nil, "", err
	}
	if err := s.write(`<stream:features><starttls xmlns='` + nsTLS + `'><required/></starttls></stream:features>`); err != nil {
		return nil, "", err
	}
	if n, _, err := s.rawElement(); err != nil || n.Local != "starttls" {
		_ = s.write(`<failure xmlns='` + nsTLS + `'/></stream:stream>`)
		return nil, "", fmt.Errorf("%w: want starttls, got <%s> %v", ErrXMPP, n.Local, err)
	}
	if err := s.write(`<proceed xmlns='` + nsTLS + `'/>`); err != nil {
		return nil, "", err
	}
	tc := tls.Server(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, "", fmt.Errorf("%w: tls: %w", ErrXMPP, err)
	}
	s = NewStream(tc)
	if _, err := s.Header(); err != nil {
		return nil, "", err
	}
	if err := s.Accept(NSClient, domain); err != nil {
		return nil, "", err
	}
	if err := s.write(`<stream:features><mechanisms xmlns='` + nsSASL + `'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`); err != nil {
		return nil, "", err
	}
	n, text, err := s.rawElement()
	if err != nil || n.Local != "auth" {
		return nil, "", fmt.Errorf("%w: want auth, got <%s> %v", ErrXMPP, n.Local, err)
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	parts := strings.Split(string(raw), "\x00")
	jid, ok := "", false
	if err == nil && len(parts) == 3 {
		jid, ok = auth(parts[1], parts[2])
	}
	if !ok {
		_ = s.write(`<failure xmlns='` + nsSASL + `'><not-authorized/></failure></stream:stream>`)
		return nil, "", ErrAuth
	}
	if err := s.write(`<success xmlns='` + nsSASL + `'/>`); err != nil {
		return nil, "", err
	}
	s = NewStream(tc)
	if _, err := s.Header(); err != nil {
		return nil, "", err
	}
	if err := s.Accept(NSClient, domain); err != nil {
		return nil, "", err
	}
	if err := s.write(`<stream:features><bind xmlns='` + nsBind + `'/></stream:features>`); err != nil {
		return nil, "", err
	}
	iq, err := s.Next()
	if err != nil || iq.XMLName.Local != "iq" || iq.Bind == nil {
		return nil, "", fmt.Errorf("%w: want a bind iq, got <%s> %v", ErrXMPP, iq.XMLName.Local, err)
	}
	res := iq.Bind.Resource
	if res == "" {
		res = "jabber"
	}
	full := jid + "/" + res
	if err := s.Send(Stanza{XMLName: xml.Name{Local: "iq"}, Type: "result", ID: iq.ID, Bind: &bindElem{JID: full}}); err != nil {
		return nil, "", err
	}
	return s, jid, nil
}

// DialC2S signs in over conn as user (SASL PLAIN after STARTTLS with cfg)
// and binds resource. A refused password is ErrAuth.
func DialC2S(conn net.Conn, cfg *tls.Config, domain, user, password, resource string) (*Stream, string, error) {
	s := NewStream(conn)
	step := func(ns string) error {
		if err := s.Open(ns, domain); err != nil {
			return fmt.Errorf("%w: %w", ErrXMPP, err)
		}
		if _, err := s.Header(); err != nil {
			return err
		}
		n, _, err := s.rawElement()
		if err != nil || n.Local != "features" {
			return fmt.Errorf("%w: want stream features, got <%s> %v", ErrXMPP, n.Local, err)
		}
		return nil
	}
	if err := step(NSClient); err != nil {
		return nil, "", err
	}
	if err := s.write(`<starttls xmlns='` + nsTLS + `'/>`); err != nil {
		return nil, "", err
	}
	if n, _, err := s.rawElement(); err != nil || n.Local != "proceed" {
		return nil, "", fmt.Errorf("%w: starttls refused: <%s> %v", ErrXMPP, n.Local, err)
	}
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, "", fmt.Errorf("%w: tls: %w", ErrXMPP, err)
	}
	s = NewStream(tc)
	if err := step(NSClient); err != nil {
		return nil, "", err
	}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := s.write(`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + plain + `</auth>`); err != nil {
		return nil, "", err
	}
	n, _, err := s.rawElement()
	switch {
	case err != nil:
		return nil, "", err
	case n.Local == "failure":
		return nil, "", ErrAuth
	case n.Local != "success":
		return nil, "", fmt.Errorf("%w: want SASL success, got <%s>", ErrXMPP, n.Local)
	}
	s = NewStream(tc)
	if err := step(NSClient); err != nil {
		return nil, "", err
	}
	if err := s.Send(Stanza{XMLName: xml.Name{Local: "iq"}, Type: "set", ID: "bind1", Bind: &bindElem{Resource: resource}}); err != nil {
		return nil, "", err
	}
	iq, err := s.Next()
	if err != nil || iq.Type != "result" || iq.Bind == nil {
		return nil, "", fmt.Errorf("%w: bind: got <%s type=%q> %v", ErrXMPP, iq.XMLName.Local, iq.Type, err)
	}
	return s, iq.Bind.JID, nil
}

// ComponentOpen is the connector's side of its XMPP link: the stream
// header and the handshake (the link's secret is the deployment's; the
// fakes use none).
func ComponentOpen(conn net.Conn, name string) (*Stream, error) {
	s := NewStream(conn)
	if err := s.Open(NSComponent, name); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrXMPP, err)
	}
	if _, err := s.Header(); err != nil {
		return nil, err
	}
	if err := s.write("<handshake/>"); err != nil {
		return nil, err
	}
	if n, _, err := s.rawElement(); err != nil || n.Local != "handshake" {
		return nil, fmt.Errorf("%w: handshake refused: <%s> %v", ErrXMPP, n.Local, err)
	}
	return s, nil
}

// ComponentAccept is IM&P's side of the connector's link.
func ComponentAccept(conn net.Conn, domain string) (*Stream, error) {
	s := NewStream(conn)
	if _, err := s.Header(); err != nil {
		return nil, err
	}
	if err := s.Accept(NSComponent, domain); err != nil {
		return nil, err
	}
	if n, _, err := s.rawElement(); err != nil || n.Local != "handshake" {
		return nil, fmt.Errorf("%w: want handshake, got <%s> %v", ErrXMPP, n.Local, err)
	}
	if err := s.write("<handshake/>"); err != nil {
		return nil, err
	}
	return s, nil
}

// Client is a signed-in Jabber client: it sends, and keeps what arrives.
type Client struct {
	s   *Stream
	JID string

	mu    sync.Mutex
	cond  chan struct{}
	inbox []Stanza
	err   error
}

// NewClient starts reading s (a stream after DialC2S).
func NewClient(s *Stream, jid string) *Client {
	c := &Client{s: s, JID: jid, cond: make(chan struct{})}
	go c.read()
	return c
}

func (c *Client) read() {
	for {
		st, err := c.s.Next()
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else if len(c.inbox) < 10000 {
			c.inbox = append(c.inbox, st)
		}
		close(c.cond)
		c.cond = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Send writes a stanza.
func (c *Client) Send(st Stanza) error { return c.s.Send(st) }

// Received returns what arrived so far.
func (c *Client) Received() []Stanza {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Stanza(nil), c.inbox...)
}

// Wait returns the first received stanza match accepts, waiting until
// ctx ends or the stream does.
func (c *Client) Wait(ctx context.Context, match func(Stanza) bool) (Stanza, error) {
	seen := 0
	for {
		c.mu.Lock()
		for ; seen < len(c.inbox); seen++ {
			if match(c.inbox[seen]) {
				st := c.inbox[seen]
				c.mu.Unlock()
				return st, nil
			}
		}
		err, ch := c.err, c.cond
		c.mu.Unlock()
		if err != nil {
			return Stanza{}, fmt.Errorf("%w: stream ended: %w", ErrXMPP, err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Stanza{}, ctx.Err()
		}
	}
}

// Close ends the stream.
func (c *Client) Close() error {
	_ = c.s.write("</stream:stream>")
	_ = c.s.conn.SetDeadline(time.Now().Add(time.Second))
	return c.s.Close()
}
