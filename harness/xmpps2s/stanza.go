package xmpps2s

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// parseStanza reads the fields of a message, presence or iq element.
func parseStanza(el *element) Message {
	m := Message{ID: el.attr("id"), From: el.attr("from"), To: el.attr("to"), Type: el.attr("type"), Raw: el.raw}
	depth := 0
	var cur string
	var errEl *StanzaError
	for _, t := range el.tokens {
		switch t := t.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local == "error":
				errEl = &StanzaError{Raw: el.raw}
				for _, a := range t.Attr {
					if a.Name.Local == "type" {
						errEl.Type = a.Value
					}
				}
				cur = "error"
			case depth == 1:
				cur = t.Name.Local
			case depth == 2 && cur == "error" && t.Name.Space == nsStanzaErr && t.Name.Local != "text" && errEl.Condition == "":
				errEl.Condition = t.Name.Local
			case depth == 2 && cur == "error" && t.Name.Local == "text":
				cur = "error-text"
			}
		case xml.EndElement:
			depth--
			if depth == 1 && cur == "error-text" {
				cur = "error"
			}
			if depth == 0 {
				cur = ""
			}
		case xml.CharData:
			switch {
			case depth == 1 && cur == "body" && m.Body == "":
				m.Body = clip(string(t), 4096)
			case depth == 1 && cur == "thread":
				m.Thread = clip(strings.TrimSpace(string(t)), 256)
			case depth == 2 && cur == "error-text" && errEl != nil:
				errEl.Text = clip(string(t), 512)
			}
		}
	}
	if m.Type == "error" {
		if errEl == nil {
			errEl = &StanzaError{Raw: el.raw}
		}
		if errEl.Condition == "" {
			errEl.Condition = "undefined-condition"
		}
		m.Error = errEl
	}
	return m
}

// stanza handles a message, presence or iq on an inbound stream.
func (in *inbound) stanza(el *element) bool {
	in.recv(KindStanza, el.raw)
	if len(in.authed) == 0 {
		in.fail("not-authorized", "stanza before authentication (RFC 6120 §4.9.3.12)", true)
		return false
	}
	m := parseStanza(el)
	m.Stream, m.Time = in.name, in.s.cfg.clock()
	from, err := ParseAddress(m.From)
	if err != nil {
		in.fail("improper-addressing", "from: "+err.Error(), true)
		return false
	}
	to, err := ParseAddress(m.To)
	if err != nil {
		in.fail("improper-addressing", "to: "+err.Error(), true)
		return false
	}
	if in.authed[from.Domainpart()] == "" {
		in.fail("invalid-from", from.Domainpart()+" is not authenticated on this stream", true)
		return false
	}
	m.From, m.To = from.String(), to.String()
	switch el.start.Name.Local {
	case "message":
		in.s.handleMessage(m, from, to)
	case "iq":
		in.s.handleIQ(el, m, from, to)
	}
	return true
}

func (s *Server) handleMessage(m Message, from, to jid.JID) {
	note := func(n string) {
		s.record(Event{Stream: m.Stream, Dir: DirNote, Local: to.Domainpart(), Remote: from.Domainpart(), Kind: KindStanza, Note: n})
	}
	user, known := s.cfg.users[strings.ToLower(to.Localpart())]
	switch {
	case m.Type == "error":
		s.deliver(m)
	case !s.serves(to.Domainpart()):
		s.bounce(m, from, to, "cancel", "item-not-found", to.Domainpart()+" is not served here")
	case s.cfg.neverDeliver:
		note("NeverDeliver fault: message accepted and dropped")
	case s.cfg.remoteNotFound:
		note("RemoteServerNotFound fault")
		s.bounce(m, from, to, "cancel", "remote-server-not-found", "")
	case m.Type == "groupchat" && s.cfg.refuseGroupchat && !s.cfg.acceptGroupchat:
		note("groupchat refused: 1:1 chat only")
		s.bounce(m, from, to, "cancel", "service-unavailable", "groupchat is not supported here, 1:1 chat only")
	case to.Localpart() == "" || !known:
		s.bounce(m, from, to, "cancel", "service-unavailable", "")
	default:
		s.deliver(m)
		if user && m.Body != "" && (m.Type == "" || m.Type == "chat" || m.Type == "normal" || m.Type == "groupchat") {
			typ := stanza.MessageType(m.Type)
			if typ == "" {
				typ = stanza.NormalMessage
			}
			reply := stanza.Message{ID: newID(), From: to.Bare(), To: from, Type: typ}
			s.sendAsync(to.Domainpart(), from.Domainpart(), messageTokens(reply, EchoPrefix+m.Body, m.Thread))
		}
	}
}

// deliver stores a message for a local user and wakes a Probe waiting for
// it (by thread, then by id for errors).
func (s *Server) deliver(m Message) {
	s.mu.Lock()
	s.delivered = append(s.delivered, m)
	var ch chan Message
	if m.Thread != "" {
		ch = s.waiters["thread:"+m.Thread]
	}
	if ch == nil && m.ID != "" {
		ch = s.waiters["id:"+m.ID]
	}
	notify := s.notify
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m:
		default:
		}
	}
	if notify != nil {
		select {
		case notify <- struct{}{}:
		default:
		}
	}
}

// bounce answers m with a stanza error over our own stream to the sender
// (RFC 6120 §8.3); never for error stanzas.
func (s *Server) bounce(m Message, from, to jid.JID, typ, cond, text string) {
	if m.Type == "error" {
		return
	}
	e := stanza.Error{Type: stanza.ErrorType(typ), Condition: stanza.Condition(cond)}
	if text != "" {
		e.Text = map[string]string{"": text}
	}
	// The thread is kept so that the sender can match the bounce.
	s.sendAsync(to.Domainpart(), from.Domainpart(), collect(stanza.Message{ID: m.ID, From: to, To: from, Type: stanza.ErrorMessage}.Wrap(
		xmlstream.MultiReader(threadReader(m.Thread), e.TokenReader()))))
}

func (s *Server) handleIQ(el *element, m Message, from, to jid.JID) {
	if m.Type != "get" && m.Type != "set" {
		return
	}
	iq := stanza.IQ{ID: m.ID, From: to, To: from, Type: stanza.ResultIQ}
	if len(el.children(nsPing)) == 1 {
		s.sendAsync(to.Domainpart(), from.Domainpart(), collect(iq.Wrap(nil)))
		return
	}
	iq.Type = stanza.ErrorIQ
	s.sendAsync(to.Domainpart(), from.Domainpart(), collect(iq.Wrap(stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}.TokenReader())))
}

func threadReader(thread string) xml.TokenReader {
	if thread == "" {
		return xmlstream.MultiReader()
	}
	return xmlstream.Wrap(xmlstream.Token(xml.CharData(thread)), xml.StartElement{Name: xml.Name{Local: "thread"}})
}

// messageTokens is a message with a body and an optional thread.
func messageTokens(m stanza.Message, body, thread string) []xml.Token {
	return collect(m.Wrap(xmlstream.MultiReader(
		xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: xml.Name{Local: "body"}}),
		threadReader(thread),
	)))
}

// collect reads every token of r (a stanza built from mellium types).
func collect(r xml.TokenReader) []xml.Token {
	var toks []xml.Token
	for {
		t, err := r.Token()
		if t != nil {
			toks = append(toks, xml.CopyToken(t))
		}
		if err != nil {
			return toks
		}
	}
}

func replay(toks []xml.Token) xml.TokenReader {
	i := 0
	return tokenFunc(func() (xml.Token, error) {
		if i >= len(toks) {
			return nil, errEndOfTokens
		}
		i++
		return toks[i-1], nil
	})
}

const errEndOfTokens = sentinel("end of tokens")

// encodeTokens is the XML text of a stanza, as evidence.
func encodeTokens(toks []xml.Token) string {
	var b bytes.Buffer
	e := xml.NewEncoder(&b)
	for _, t := range toks {
		if se, ok := t.(xml.StartElement); ok && se.Name.Space != "" {
			// The encoder writes the element's namespace as xmlns itself:
			// a default-namespace attribute kept beside it would be written
			// twice.
			attrs := se.Attr[:0:0]
			for _, a := range se.Attr {
				if a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, a)
			}
			se.Attr = attrs
			t = se
		}
		if err := e.EncodeToken(t); err != nil {
			return fmt.Sprintf("(unencodable: %v)", err)
		}
	}
	_ = e.Flush()
	return b.String()
}

// sendAsync sends a stanza from local to remote over the pooled outbound
// stream, without blocking the inbound stream that caused it.
func (s *Server) sendAsync(local, remote string, toks []xml.Token) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.timeout)
		defer cancel()
		if err := s.sendTokens(ctx, local, remote, toks); err != nil {
			s.record(Event{Stream: "out", Dir: DirNote, Local: local, Remote: remote, Kind: KindError, XML: encodeTokens(toks), Note: "not sent: " + err.Error()})
		}
	}()
}
