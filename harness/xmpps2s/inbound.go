package xmpps2s

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"mellium.im/sasl"

	"example.com/cutover/harness/xmpps2s/dialback"
)

// inbound is one stream a peer opened to us.
type inbound struct {
	s        *Server
	name     string
	tcp      net.Conn
	conn     net.Conn
	w        *wire
	secure   bool
	tlsState *tls.ConnectionState
	local    string            // the header's to
	remote   string            // the header's from
	id       string            // our stream id
	authed   map[string]string // remote domain → "external" or "dialback"
	opened   bool
}

func (s *Server) serveInbound(c net.Conn, direct bool) {
	in := &inbound{s: s, name: s.streamName("in"), tcp: c, conn: c, authed: map[string]string{}}
	_ = c.SetDeadline(time.Now().Add(s.cfg.timeout))
	if direct {
		tc := tls.Server(c, s.serverTLS(true))
		if err := tc.Handshake(); err != nil {
			in.note(KindTLS, "direct tls handshake failed: "+err.Error())
			return
		}
		st := tc.ConnectionState()
		in.conn, in.secure, in.tlsState = tc, true, &st
		in.note(KindTLS, fmt.Sprintf("direct tls %s alpn %q", tls.VersionName(st.Version), st.NegotiatedProtocol))
	}
	in.w = newWire(in.conn, s.cfg.maxStanza)
	if err := in.open(); err != nil {
		return
	}
	for {
		el, err := in.w.next()
		if err != nil {
			in.readFailed(err)
			return
		}
		if !in.handle(el) {
			return
		}
	}
}

func (in *inbound) note(kind, note string) {
	in.s.record(Event{Stream: in.name, Dir: DirNote, Local: in.local, Remote: in.remote, Kind: kind, Note: note})
}

func (in *inbound) recv(kind, xml string) {
	in.s.record(Event{Stream: in.name, Dir: DirRecv, Local: in.local, Remote: in.remote, Kind: kind, XML: xml})
}

func (in *inbound) send(kind, xml string) bool {
	in.s.record(Event{Stream: in.name, Dir: DirSent, Local: in.local, Remote: in.remote, Kind: kind, XML: xml})
	if err := in.w.write(xml); err != nil {
		in.note(KindError, err.Error())
		return false
	}
	return true
}

// fail ends the stream with a stream error; unexpected marks a protocol
// violation by the peer for Close.
func (in *inbound) fail(cond, text string, unexpected bool) {
	if !in.opened {
		in.opened = true
		_ = in.w.write(headerXML(in.local, in.remote, newID(), false))
	}
	in.send(KindStreamError, streamErrorXML(cond, text))
	if unexpected {
		in.s.unexpectedf("%s from %s: <%s/> %s", in.name, orUnknown(in.remote), cond, text)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "an unnamed peer"
	}
	return s
}

func (in *inbound) readFailed(err error) {
	var se *StreamError
	switch {
	case errors.As(err, &se):
		in.recv(KindStreamError, se.Raw)
	case errors.Is(err, ErrClosed):
		in.note(KindClose, err.Error())
		_ = in.w.write("</stream:stream>")
	case errors.Is(err, ErrTimeout):
		in.note(KindClose, err.Error())
		in.fail("connection-timeout", "no authentication within the time limit", false)
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrMalformed):
		in.fail(conditionOf(err), err.Error(), true)
	default:
		in.note(KindClose, err.Error())
	}
}

// open reads the peer's stream header (again after a restart), answers it
// and sends the features. It returns an error when the stream must end.
func (in *inbound) open() error {
	restart := in.local != ""
	h, err := in.w.readHeader()
	if err != nil {
		switch {
		case errors.Is(err, ErrClosed), errors.Is(err, ErrTimeout):
			in.note(KindClose, err.Error())
		default:
			in.fail(conditionOf(err), err.Error(), true)
		}
		return err
	}
	in.s.record(Event{Stream: in.name, Dir: DirRecv, Local: h.To, Remote: h.From, Kind: KindHeader, XML: string(h.Raw)})
	if in.s.cfg.closeEarly {
		in.note(KindFault, "CloseEarly: closing after the peer's stream header")
		return errors.New("close early")
	}
	switch {
	case h.To == "":
		in.fail("host-unknown", "the stream header has no 'to'", true)
		return errors.New("no to")
	case !in.s.serves(h.To):
		in.local = ""
		in.fail("host-unknown", h.To+" is not served here", false)
		return errors.New("host unknown")
	case restart && h.To != in.local:
		in.fail("host-unknown", "the restarted stream is to "+h.To+", not "+in.local, true)
		return errors.New("to changed")
	}
	in.local = h.To
	switch {
	case h.From == "":
		in.fail("invalid-from", "a server-to-server stream header needs 'from' (RFC 6120 §4.7.1)", true)
		return errors.New("no from")
	case restart && h.From != in.remote:
		in.fail("invalid-from", "the restarted stream is from "+h.From+", not "+in.remote, true)
		return errors.New("from changed")
	}
	in.remote = h.From
	if why := in.s.refusal(h.From); why != "" {
		in.note(KindPolicy, why)
		cond := "policy-violation"
		if in.s.serves(h.From) {
			cond = "invalid-from"
		}
		in.fail(cond, why, false)
		return errors.New("refused")
	}
	if in.s.cfg.policyFor["*"] || in.s.cfg.policyFor[h.From] {
		in.note(KindFault, "PolicyViolation for "+h.From)
		in.fail("policy-violation", h.From+" is not allowed to federate with "+in.local, false)
		return errors.New("policy fault")
	}
	in.id = newID()
	in.opened = true
	in.s.onClose(in.tcp, func() { _ = in.w.write("</stream:stream>") })
	if !in.send(KindHeader, headerXML(in.local, in.remote, in.id, in.s.dialbackAllowed())) {
		return errors.New("write failed")
	}
	switch {
	case in.s.cfg.stallAfterHeader:
		in.note(KindFault, "StallAfterHeader: no features will follow")
		_ = in.conn.SetDeadline(time.Time{})
		_, _ = io.Copy(io.Discard, in.conn)
		return errors.New("stalled")
	case in.s.cfg.garbage:
		in.note(KindFault, "SendGarbage")
		_ = in.w.write("\x00\x01<<not xml>>&&\xff")
		return errors.New("garbage")
	}
	return in.features()
}

// offerExternal reports whether SASL EXTERNAL is advertised: on a secure
// stream whose peer presented a certificate that verifies for its domain
// (XEP-0178 §3), unless faulted.
func (in *inbound) offerExternal() bool {
	switch {
	case !in.secure || in.s.cfg.noExternal || in.authed[in.remote] != "":
		return false
	case in.s.cfg.refuseExternal:
		return true
	}
	_, err := in.verifyPeer(in.remote)
	return err == nil
}

func (in *inbound) verifyPeer(domain string) (Identity, error) {
	if in.tlsState == nil {
		return Identity{}, fmt.Errorf("%w: no TLS", ErrCertificate)
	}
	return VerifyDomain(in.tlsState.PeerCertificates, in.s.roots(), domain, in.s.cfg.clock())
}

func (in *inbound) tlsRequired() bool { return !in.s.cfg.noStartTLS && !in.secure }

func (in *inbound) features() error {
	var b strings.Builder
	b.WriteString("<stream:features>")
	switch {
	case in.tlsRequired():
		// RFC 6120 §5.3: with TLS mandatory, nothing else before it.
		b.WriteString("<starttls xmlns='" + nsTLS + "'><required/></starttls>")
	case in.authed[in.remote] != "":
		// after SASL: nothing left to negotiate
	default:
		if in.offerExternal() {
			b.WriteString("<mechanisms xmlns='" + nsSASL + "'><mechanism>EXTERNAL</mechanism></mechanisms>")
		}
		if in.s.dialbackAllowed() {
			b.WriteString("<dialback xmlns='" + dialback.FeatureNS + "'><errors/></dialback>")
		}
	}
	if n := in.s.cfg.oversized; n > 0 {
		in.note(KindFault, fmt.Sprintf("OversizedFeatures(%d)", n))
		b.WriteString("<padding xmlns='urn:example:padding'>" + strings.Repeat("x", n) + "</padding>")
	}
	b.WriteString("</stream:features>")
	if !in.send(KindFeatures, b.String()) {
		return errors.New("write failed")
	}
	return nil
}

// handle processes one element; false ends the stream.
func (in *inbound) handle(el *element) bool {
	switch {
	case el.is(nsTLS, "starttls"):
		return in.starttls(el)
	case el.is(nsSASL, "auth"):
		return in.auth(el)
	case el.is(dialback.NS, "result"), el.is(dialback.NS, "verify"):
		return in.dialback(el)
	case el.start.Name.Space == nsServer && (el.start.Name.Local == "message" || el.start.Name.Local == "presence" || el.start.Name.Local == "iq"):
		return in.stanza(el)
	}
	in.recv(KindError, el.raw)
	in.fail("unsupported-stanza-type", fmt.Sprintf("<%s xmlns=%q> is not handled here", el.start.Name.Local, el.start.Name.Space), true)
	return false
}

func (in *inbound) starttls(el *element) bool {
	in.recv(KindTLS, el.raw)
	if in.secure || in.s.cfg.noStartTLS {
		in.send(KindTLS, "<failure xmlns='"+nsTLS+"'/></stream:stream>")
		if in.secure {
			in.s.unexpectedf("%s from %s: STARTTLS on a secure stream", in.name, in.remote)
		}
		return false
	}
	if !in.send(KindTLS, "<proceed xmlns='"+nsTLS+"'/>") {
		return false
	}
	if n := in.w.buffered(); n > 0 {
		in.note(KindTLS, fmt.Sprintf("%d bytes arrived before the TLS handshake", n))
		in.s.unexpectedf("%s from %s: data sent before the TLS handshake (RFC 6120 §5.4.3)", in.name, in.remote)
		return false
	}
	tc := tls.Server(in.tcp, in.s.serverTLS(false))
	if err := tc.Handshake(); err != nil {
		in.note(KindTLS, "handshake failed: "+err.Error())
		return false
	}
	st := tc.ConnectionState()
	in.conn, in.secure, in.tlsState = tc, true, &st
	in.note(KindTLS, fmt.Sprintf("starttls %s, peer certificate %s", tls.VersionName(st.Version), in.peerCertNote()))
	in.w.restart(tc)
	return in.open() == nil
}

func (in *inbound) peerCertNote() string {
	if in.tlsState == nil || len(in.tlsState.PeerCertificates) == 0 {
		return "none"
	}
	id, err := in.verifyPeer(in.remote)
	if err != nil {
		return err.Error()
	}
	return "valid, " + id.String()
}

func (in *inbound) auth(el *element) bool {
	in.recv(KindSASL, el.raw)
	failure := func(cond, why string) bool {
		in.note(KindSASL, why)
		return in.send(KindSASL, "<failure xmlns='"+nsSASL+"'><"+cond+"/></failure>")
	}
	switch {
	case !in.secure:
		in.fail("policy-violation", "SASL before TLS", true)
		return false
	case in.authed[in.remote] != "":
		in.fail("policy-violation", "SASL after authentication", true)
		return false
	case el.attr("mechanism") != "EXTERNAL":
		return failure("invalid-mechanism", "mechanism "+el.attr("mechanism")+" is not offered")
	case in.s.cfg.refuseExternal:
		return failure("not-authorized", "RefuseExternal fault")
	}
	payload := strings.TrimSpace(el.text())
	var authzid []byte
	if payload != "" && payload != "=" {
		b, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			return failure("incorrect-encoding", "authzid is not base64")
		}
		authzid = b
	}
	var reason error
	neg := sasl.NewServer(External(), func(n *sasl.Negotiator) bool {
		_, _, id := n.Credentials()
		want := in.remote
		if len(id) > 0 {
			d, err := ParseDomain(string(id))
			if err != nil || d != in.remote {
				reason = fmt.Errorf("authzid %q is not the stream's from %s", clip(string(id), 64), in.remote)
				return false
			}
		}
		if _, err := in.verifyPeer(want); err != nil {
			reason = err
			return false
		}
		return true
	}, sasl.TLSState(*in.tlsState))
	if _, _, err := neg.Step(authzid); err != nil {
		cond := "not-authorized"
		if reason != nil && strings.Contains(reason.Error(), "authzid") {
			cond = "invalid-authzid"
		}
		return failure(cond, fmt.Sprintf("EXTERNAL refused: %v", reason))
	}
	if !in.send(KindSASL, "<success xmlns='"+nsSASL+"'/>") {
		return false
	}
	id, _ := in.verifyPeer(in.remote)
	in.authed[in.remote] = "external"
	in.note(KindSASL, "EXTERNAL succeeded for "+in.remote+" by "+id.String())
	_ = in.tcp.SetDeadline(time.Time{})
	in.w.restart(in.conn)
	return in.open() == nil
}

func (in *inbound) dialback(el *element) bool {
	in.recv(KindDialback, redactKey(el))
	e, err := dialback.DecodeElement(el.start, tokensAfterStart(el))
	if err != nil {
		in.fail("bad-format", err.Error(), true)
		return false
	}
	if e.Type != "" {
		// XEP-0220 §2.2: no type on inbound requests without XEP-0288.
		in.note(KindDialback, "ignored: <db:"+e.Name()+"/> with type "+e.Type+" on an inbound stream")
		in.s.unexpectedf("%s from %s: <db:%s type='%s'/> on an inbound stream", in.name, in.remote, e.Name(), e.Type)
		return true
	}
	if e.Verify {
		return in.answerVerify(e)
	}
	return in.answerResult(e)
}

// answerVerify acts as Authoritative Server (XEP-0220 §2.2.2).
func (in *inbound) answerVerify(e dialback.Element) bool {
	ans := dialback.Element{Verify: true, From: e.To, To: e.From, ID: e.ID}
	switch {
	case !in.s.serves(e.To):
		ans.Type, ans.Condition = dialback.Error, "item-not-found"
	default:
		secret := in.s.cfg.secret
		if in.s.cfg.secretMismatch {
			secret = append([]byte("mismatch:"), secret...)
		}
		want := dialback.Key(secret, e.From, e.To, e.ID)
		ans.Type = dialback.Invalid
		if hmac.Equal([]byte(want), []byte(e.Key)) {
			ans.Type = dialback.Valid
		}
	}
	in.note(KindDialback, "as authoritative for "+e.To+": key from "+e.From+" for stream "+e.ID+" is "+ans.Type)
	return in.send(KindDialback, ans.String())
}

// answerResult acts as Receiving Server (XEP-0220 §2.2.1): verify the key
// with the Authoritative Server of the sender domain, then answer.
func (in *inbound) answerResult(e dialback.Element) bool {
	ans := dialback.Element{From: e.To, To: e.From}
	switch {
	case !in.s.dialbackAllowed():
		in.note(KindDialback, "dialback is not accepted here")
		in.fail("not-authorized", "dialback is not accepted: authenticate with SASL EXTERNAL and a certificate valid for "+e.From, false)
		return false
	case in.tlsRequired():
		in.fail("policy-violation", "TLS is required before dialback", true)
		return false
	case !in.s.serves(e.To):
		ans.Type, ans.Condition = dialback.Error, "item-not-found"
		return in.send(KindDialback, ans.String())
	case in.s.refusal(e.From) != "":
		in.note(KindPolicy, in.s.refusal(e.From))
		ans.Type, ans.Condition = dialback.Error, "forbidden"
		return in.send(KindDialback, ans.String())
	}
	ctx, cancel := context.WithTimeout(in.s.ctx, in.s.cfg.timeout)
	defer cancel()
	typ, err := in.s.verifyKey(ctx, e.To, e.From, in.id, e.Key)
	switch {
	case err != nil:
		in.note(KindDialback, "verification with the authoritative server failed: "+err.Error())
		ans.Type, ans.Condition = dialback.Error, "remote-server-not-found"
		return in.send(KindDialback, ans.String())
	case typ != dialback.Valid:
		ans.Type = dialback.Invalid
		in.note(KindDialback, "the authoritative server for "+e.From+" says the key is "+typ)
		in.send(KindDialback, ans.String())
		in.send(KindClose, "</stream:stream>")
		return false
	}
	ans.Type = dialback.Valid
	if !in.send(KindDialback, ans.String()) {
		return false
	}
	in.authed[e.From] = "dialback"
	in.note(KindDialback, "dialback succeeded for "+e.From)
	_ = in.tcp.SetDeadline(time.Time{})
	return true
}

func tokensAfterStart(el *element) tokenFunc {
	r := el.reader()
	_, _ = r.Token()
	return r.(tokenFunc)
}

// redactKey hides the dialback key in recorded evidence: it authenticates
// the stream.
func redactKey(el *element) string {
	if el.is(dialback.NS, "result") || el.is(dialback.NS, "verify") {
		if k := strings.TrimSpace(el.text()); k != "" {
			return strings.Replace(el.raw, k, "[key redacted]", 1)
		}
	}
	return el.raw
}
