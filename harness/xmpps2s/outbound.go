package xmpps2s

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"example.com/cutover/harness/xmpps2s/dialback"
)

// maxTrace bounds the evidence lines a trace keeps.
const maxTrace = 200

// trace records what one outbound stream sent and received, as events and
// (for Probe) as evidence lines.
type trace struct {
	s                     *Server
	stream, local, remote string
	keep                  bool
	mu                    sync.Mutex
	lines                 []string
}

func (s *Server) newTrace(prefix, local, remote string, keep bool) *trace {
	return &trace{s: s, stream: s.streamName(prefix), local: local, remote: remote, keep: keep}
}

func (t *trace) add(dir, kind, xml, note string) {
	t.s.record(Event{Stream: t.stream, Dir: dir, Local: t.local, Remote: t.remote, Kind: kind, XML: xml, Note: note})
	if !t.keep {
		return
	}
	var line string
	switch dir {
	case DirSent:
		line = "C: " + clip(xml, maxRecord)
	case DirRecv:
		line = "S: " + clip(xml, maxRecord)
	default:
		line = "-- " + note
	}
	t.mu.Lock()
	if len(t.lines) < maxTrace {
		t.lines = append(t.lines, line)
	}
	t.mu.Unlock()
}

func (t *trace) note(kind, note string) { t.add(DirNote, kind, "", note) }

func (t *trace) text() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.lines)
}

// outConn is an outbound stream being negotiated.
type outConn struct {
	s             *Server
	tr            *trace
	local, remote string
	res           *Resolution
	attempts      []Attempt
	cand          Candidate
	tcp, conn     net.Conn
	w             *wire
	tlsMode       string
	tlsState      *tls.ConnectionState
	ident         Identity
	certErr       error
	hdr           header
	feats         *element
	auth          string
	externalErr   error
	decided       string
}

// dialOut resolves remote and connects to the first candidate that
// answers.
func (s *Server) dialOut(ctx context.Context, local, remote string, tr *trace) (*outConn, error) {
	o := &outConn{s: s, tr: tr, local: local, remote: remote, tlsMode: "none"}
	if s.cfg.dialer == nil || s.cfg.resolver == nil {
		return o, fmt.Errorf("xmpps2s: connect %s: outbound streams need WithDialer and WithResolver", remote)
	}
	res, err := Resolve(ctx, s.cfg.resolver, remote, s.rand())
	o.res = res
	tr.note(KindDial, strings.TrimSpace(res.Evidence()))
	if err != nil {
		return o, err
	}
	per := s.cfg.timeout / 2
	conn, cand, attempts, err := Connect(ctx, s.cfg.dialer, s.cfg.resolver, res, per, s.cfg.clock)
	o.attempts = attempts
	for _, a := range attempts {
		tr.note(KindDial, "attempt "+a.String())
	}
	if err != nil {
		return o, err
	}
	if !s.track(conn) {
		return o, fmt.Errorf("xmpps2s: connect %s: %w: server closed", remote, ErrClosed)
	}
	o.cand, o.tcp, o.conn = cand, conn, conn
	return o, nil
}

func (o *outConn) close() {
	if o.tcp != nil {
		o.tcp.Close()
		o.s.untrack(o.tcp)
	}
}

func (o *outConn) send(kind, x string) error {
	o.tr.add(DirSent, kind, redactText(kind, x), "")
	if err := o.w.write(x); err != nil {
		return fmt.Errorf("xmpps2s: %s: %w", o.remote, err)
	}
	return nil
}

func redactText(kind, x string) string {
	if kind != KindDialback {
		return x
	}
	if i := strings.Index(x, ">"); i >= 0 && !strings.HasSuffix(x[:i], "/") {
		if j := strings.LastIndex(x, "</"); j > i {
			return x[:i+1] + "[key redacted]" + x[j:]
		}
	}
	return x
}

// next reads an element and records it; a stream error from the peer is
// the deciding element.
func (o *outConn) next(kind string) (*element, error) {
	el, err := o.w.next()
	if err != nil {
		var se *StreamError
		if errors.As(err, &se) {
			o.tr.add(DirRecv, KindStreamError, se.Raw, "")
			o.decided = se.Raw
			return nil, fmt.Errorf("xmpps2s: %s: %w", o.remote, se)
		}
		o.tr.note(KindClose, err.Error())
		return nil, fmt.Errorf("xmpps2s: %s %s: %w", o.remote, kind, err)
	}
	if el.is(dialback.NS, "result") || el.is(dialback.NS, "verify") {
		o.tr.add(DirRecv, KindDialback, el.raw, "")
	} else {
		o.tr.add(DirRecv, kind, el.raw, "")
	}
	return el, nil
}

// bound applies ctx's deadline and cancellation to the connection while
// fn runs.
func (o *outConn) bound(ctx context.Context, fn func() error) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = o.tcp.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = o.tcp.SetDeadline(time.Unix(1, 0)) })
	err := fn()
	if !stop() && err == nil {
		err = fmt.Errorf("xmpps2s: %s: %w: %w", o.remote, ErrTimeout, ctx.Err())
	}
	_ = o.tcp.SetDeadline(time.Time{})
	return err
}

// negotiate runs direct TLS or STARTTLS and checks the certificate;
// verifyOnly relaxes the TLS requirement for a dialback verification
// connection (XEP-0220 §2.1.2 allows it without TLS).
func (o *outConn) negotiate(ctx context.Context, verifyOnly bool) error {
	if o.cand.DirectTLS {
		if err := o.handshake(ctx, true); err != nil {
			return err
		}
	}
	o.w = newWire(o.conn, o.s.cfg.maxStanza)
	if err := o.streamStart(); err != nil {
		return err
	}
	if o.tlsState == nil {
		switch {
		case len(o.feats.children(nsTLS)) > 0:
			if err := o.send(KindTLS, "<starttls xmlns='"+nsTLS+"'/>"); err != nil {
				return err
			}
			el, err := o.next(KindTLS)
			if err != nil {
				return err
			}
			if !el.is(nsTLS, "proceed") {
				o.decided = el.raw
				return fmt.Errorf("xmpps2s: %s: %w: STARTTLS answered with <%s/>", o.remote, ErrTLS, el.start.Name.Local)
			}
			if err := o.handshake(ctx, false); err != nil {
				return err
			}
			o.w.restart(o.conn)
			if err := o.streamStart(); err != nil {
				return err
			}
		case verifyOnly:
			o.tr.note(KindTLS, "no STARTTLS offered; verifying the dialback key without TLS")
			return nil
		default:
			return fmt.Errorf("xmpps2s: %s: %w: features %s", o.remote, ErrNoTLS, clip(o.feats.raw, 200))
		}
	}
	o.ident, o.certErr = VerifyDomain(o.tlsState.PeerCertificates, o.s.roots(), o.remote, o.s.cfg.clock())
	if o.certErr != nil {
		o.tr.note(KindTLS, "certificate: "+o.certErr.Error())
	} else {
		o.tr.note(KindTLS, "certificate valid for "+o.remote+" by "+o.ident.String())
	}
	if o.certErr != nil && o.s.cfg.requireAuthTLS && !verifyOnly {
		return fmt.Errorf("xmpps2s: %s: authenticated TLS required: %w", o.remote, o.certErr)
	}
	return nil
}

func (o *outConn) handshake(ctx context.Context, direct bool) error {
	tc := tls.Client(o.tcp, o.s.clientTLS(o.local, o.remote, direct))
	if err := tc.HandshakeContext(ctx); err != nil {
		o.tr.note(KindTLS, "handshake failed: "+err.Error())
		return fmt.Errorf("xmpps2s: %s: %w: %w", o.remote, ErrTLS, err)
	}
	st := tc.ConnectionState()
	o.conn, o.tlsState = tc, &st
	o.tlsMode = "starttls"
	if direct {
		o.tlsMode = "direct-tls"
	}
	o.tr.note(KindTLS, fmt.Sprintf("%s %s alpn %q", o.tlsMode, tls.VersionName(st.Version), st.NegotiatedProtocol))
	return nil
}

// streamStart sends our header and reads the peer's header and features.
func (o *outConn) streamStart() error {
	if err := o.send(KindHeader, headerXML(o.local, o.remote, "", !o.s.cfg.requireAuthTLS)); err != nil {
		return err
	}
	h, err := o.w.readHeader()
	if err != nil {
		o.tr.note(KindClose, err.Error())
		return fmt.Errorf("xmpps2s: %s: %w", o.remote, err)
	}
	o.tr.add(DirRecv, KindHeader, string(h.Raw), "")
	if h.From != "" && h.From != o.remote {
		return fmt.Errorf("xmpps2s: %s: %w: the peer answered as %s", o.remote, ErrProtocol, h.From)
	}
	o.hdr = h
	el, err := o.next(KindFeatures)
	if err != nil {
		return err
	}
	if !el.is(nsStream, "features") {
		o.decided = el.raw
		return fmt.Errorf("xmpps2s: %s: %w: want <stream:features/>, got <%s/>", o.remote, ErrProtocol, el.start.Name.Local)
	}
	o.feats = el
	return nil
}

// mechanisms lists the SASL mechanisms offered.
func (o *outConn) mechanisms() []string {
	var out []string
	depth := 0
	inMechs, inMech := false, false
	for _, t := range o.feats.tokens {
		switch t := t.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Space == nsSASL && t.Name.Local == "mechanisms":
				inMechs = true
			case depth == 2 && inMechs && t.Name.Local == "mechanism":
				inMech = true
			}
		case xml.EndElement:
			depth--
			if depth == 1 {
				inMech = false
			}
			if depth == 0 {
				inMechs = false
			}
		case xml.CharData:
			if inMech {
				out = append(out, strings.TrimSpace(string(t)))
			}
		}
	}
	return out
}

func (o *outConn) offersDialback() bool {
	return o.hdr.DB || slices.Contains(o.feats.children(dialback.FeatureNS), "dialback")
}

// authenticate tries SASL EXTERNAL, then dialback (XEP-0178 §3,
// XEP-0220 §2.1.1).
func (o *outConn) authenticate() error {
	var reasons []string
	mechs := o.mechanisms()
	switch {
	case !slices.Contains(mechs, "EXTERNAL"):
		reasons = append(reasons, "EXTERNAL not offered")
	case o.s.certFor(o.local) == nil:
		reasons = append(reasons, "EXTERNAL offered but this server has no certificate")
	default:
		ok, err := o.external(mechs)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		reasons = append(reasons, o.externalErr.Error())
	}
	if o.s.cfg.requireAuthTLS {
		return fmt.Errorf("xmpps2s: %s: %w: authenticated TLS required and %s", o.remote, ErrAuth, strings.Join(reasons, "; "))
	}
	if !o.offersDialback() {
		reasons = append(reasons, "dialback not offered")
		return fmt.Errorf("xmpps2s: %s: %w: %s", o.remote, ErrAuth, strings.Join(reasons, "; "))
	}
	if o.hdr.ID == "" {
		return fmt.Errorf("xmpps2s: %s: %w: no stream id for the dialback key", o.remote, ErrProtocol)
	}
	key := dialback.Key(o.s.cfg.secret, o.remote, o.local, o.hdr.ID)
	if err := o.send(KindDialback, dialback.Element{From: o.local, To: o.remote, Key: key}.String()); err != nil {
		return err
	}
	for {
		el, err := o.next(KindDialback)
		if err != nil {
			return err
		}
		if !el.is(dialback.NS, "result") {
			continue
		}
		e, err := dialback.DecodeElement(el.start, tokensAfterStart(el))
		if err != nil {
			return fmt.Errorf("xmpps2s: %s: %w: %w", o.remote, ErrProtocol, err)
		}
		if e.From != o.remote || e.To != o.local {
			continue
		}
		o.decided = el.raw
		switch e.Type {
		case dialback.Valid:
			o.auth = "dialback"
			return nil
		case dialback.Error:
			return fmt.Errorf("xmpps2s: %s: %w: dialback error <%s/>", o.remote, ErrAuth, e.Condition)
		default:
			return fmt.Errorf("xmpps2s: %s: %w: dialback key judged %q", o.remote, ErrAuth, e.Type)
		}
	}
}

func (o *outConn) external(mechs []string) (bool, error) {
	neg := sasl.NewClient(External(),
		sasl.Credentials(func() (username, password, identity []byte) { return nil, nil, []byte(o.local) }),
		sasl.RemoteMechanisms(mechs...))
	_, resp, err := neg.Step(nil)
	if err != nil {
		return false, fmt.Errorf("xmpps2s: %s: %w: %w", o.remote, ErrAuth, err)
	}
	payload := "="
	if len(resp) > 0 {
		payload = base64.StdEncoding.EncodeToString(resp)
	}
	if err := o.send(KindSASL, "<auth xmlns='"+nsSASL+"' mechanism='EXTERNAL'>"+payload+"</auth>"); err != nil {
		return false, err
	}
	el, err := o.next(KindSASL)
	if err != nil {
		return false, err
	}
	switch {
	case el.is(nsSASL, "success"):
		o.w.restart(o.conn)
		if err := o.streamStart(); err != nil {
			return false, err
		}
		o.auth = "external"
		return true, nil
	case el.is(nsSASL, "failure"):
		cond := "failure"
		if c := el.children(""); len(c) > 0 {
			cond = c[0]
		}
		o.decided = el.raw
		o.externalErr = fmt.Errorf("EXTERNAL refused with <%s/>", cond)
		return false, nil
	}
	o.decided = el.raw
	return false, fmt.Errorf("xmpps2s: %s: %w: SASL answered with <%s/>", o.remote, ErrProtocol, el.start.Name.Local)
}

// outStream is an authenticated outbound stream run as a mellium session.
type outStream struct {
	o    *outConn
	sess *xmpp.Session
	done chan struct{}
	err  error

	// wmu serialises our writes with the write deadline each one sets;
	// broken is set once a write failed (a TLS stream that failed a write
	// is corrupt: crypto/tls fails every later write with the same error),
	// so that the pool opens a new stream instead.
	wmu    sync.Mutex
	broken atomic.Bool
}

func (st *outStream) dead() bool {
	if st.broken.Load() {
		return true
	}
	select {
	case <-st.done:
		return true
	default:
		return false
	}
}

// replayConn feeds a mellium session the peer's stream header again (the
// session's decoder needs the namespace declarations of the open stream
// root), then the connection, through the same size-capped reader.
type replayConn struct {
	net.Conn
	pre []byte
	lr  *limitReader
}

func (c *replayConn) ReadByte() (byte, error) {
	if len(c.pre) > 0 {
		b := c.pre[0]
		c.pre = c.pre[1:]
		return b, nil
	}
	return c.lr.ReadByte()
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.lr.Read(p)
}

// session builds the mellium session for the stanza phase. Its
// Negotiator only consumes the replayed header and sets the stream
// information this package negotiated: mellium's own negotiator cannot
// run here (LIBNOTES: it compares origins a server cannot know yet and has
// no dialback).
func (o *outConn) session() (*outStream, error) {
	local, err := jid.Parse(o.local)
	if err != nil {
		return nil, err
	}
	remote, err := jid.Parse(o.remote)
	if err != nil {
		return nil, err
	}
	in := stream.Info{Name: xml.Name{Space: nsStream, Local: "stream"}, XMLNS: nsServer, To: local, From: remote, ID: o.hdr.ID, Version: stream.DefaultVersion}
	out := stream.Info{Name: xml.Name{Space: nsStream, Local: "stream"}, XMLNS: nsServer, To: remote, From: local, Version: stream.DefaultVersion}
	neg := func(_ context.Context, inI, outI *stream.Info, sess *xmpp.Session, _ interface{}) (xmpp.SessionState, io.ReadWriter, interface{}, error) {
		r := sess.TokenReader()
		defer r.Close()
		for {
			tok, err := r.Token()
			if err != nil {
				return 0, nil, nil, err
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Space == nsStream && se.Name.Local == "stream" {
				break
			}
		}
		*inI, *outI = in, out
		return xmpp.Ready, nil, nil, nil
	}
	rc := &replayConn{Conn: o.conn, pre: bytes.Clone(o.hdr.Raw), lr: o.w.lr}
	// Never a context that ends for mellium (README): it watches one in
	// a goroutine of its own that, scheduled late, moves the connection's
	// deadline into the past after the call returned, under a read or a
	// write already running on the stream. Our own deadline bounds the
	// negotiation instead, cleared before anything else uses the stream.
	_ = o.tcp.SetDeadline(time.Now().Add(o.s.cfg.timeout))
	sess, err := xmpp.NewSession(context.Background(), remote, local, rc, xmpp.S2S|xmpp.Secure|xmpp.Authn, neg)
	_ = o.tcp.SetDeadline(time.Time{})
	if err != nil {
		return nil, fmt.Errorf("xmpps2s: %s: session: %w", o.remote, err)
	}
	st := &outStream{o: o, sess: sess, done: make(chan struct{})}
	o.s.onClose(o.tcp, func() { _ = sess.Close() })
	o.s.wg.Add(1)
	go st.serve()
	return st, nil
}

// serve reads what the peer sends on our outbound stream (normally only a
// stream error or the end of its stream) until it ends.
func (st *outStream) serve() {
	defer st.o.s.wg.Done()
	defer st.o.close()
	defer close(st.done)
	lr := st.o.w.lr
	lr.reset()
	err := st.sess.Serve(xmpp.HandlerFunc(func(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		lr.reset()
		st.o.tr.add(DirRecv, KindStanza, "<"+start.Name.Local+" xmlns='"+start.Name.Space+"' …>", "a stanza on our outbound stream")
		return nil
	}))
	var me stream.Error
	switch {
	case errors.As(err, &me):
		se := &StreamError{Condition: me.Err}
		for _, t := range me.Text {
			se.Text = t.Value
			break
		}
		se.Raw = "<stream:error><" + me.Err + "/></stream:error>"
		st.o.tr.add(DirRecv, KindStreamError, se.Raw, "")
		st.err = fmt.Errorf("xmpps2s: %s: %w", st.o.remote, se)
	case err == nil:
		st.o.tr.note(KindClose, "peer closed the stream")
		st.err = fmt.Errorf("xmpps2s: %s: %w: the peer closed the stream", st.o.remote, ErrClosed)
	default:
		st.o.tr.note(KindClose, err.Error())
		st.err = fmt.Errorf("xmpps2s: %s: %w", st.o.remote, streamReadErr("read", err))
	}
}

// sendTokens writes one stanza. A nil error means the bytes were written,
// not that the peer accepted them (LIBNOTES): delivery is proven by a
// reply only.
//
// ctx bounds the write through a write deadline set here, under wmu, not
// through mellium (see session): mellium's watcher of a Send's context
// can fire after that Send returned and time out the next one's write,
// which breaks the TLS stream for good. A failed write ends the stream.
func (st *outStream) sendTokens(ctx context.Context, toks []xml.Token) error {
	st.wmu.Lock()
	defer st.wmu.Unlock()
	select {
	case <-st.done:
		return st.err
	default:
	}
	if st.broken.Load() {
		return fmt.Errorf("xmpps2s: send to %s: %w: the stream failed a write", st.o.remote, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("xmpps2s: send to %s: %w: %w", st.o.remote, ErrTimeout, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = st.o.tcp.SetWriteDeadline(dl)
	}
	err := st.sess.Send(context.Background(), replay(toks))
	_ = st.o.tcp.SetWriteDeadline(time.Time{})
	if err != nil && !errors.Is(err, errEndOfTokens) {
		st.broken.Store(true)
		st.o.tr.note(KindClose, "write failed, ending the stream: "+err.Error())
		st.o.close()
		return fmt.Errorf("xmpps2s: send to %s: %w", st.o.remote, err)
	}
	return nil
}

// shutdown ends our stream and waits briefly for the peer to end its.
func (st *outStream) shutdown() {
	_ = st.sess.Close()
	select {
	case <-st.done:
	case <-time.After(2 * time.Second):
	}
	st.o.close()
}

// openStream dials, negotiates and authenticates an outbound stream.
func (s *Server) openStream(ctx context.Context, local, remote string, tr *trace) (*outConn, *outStream, error) {
	if why := s.refusal(remote); why != "" {
		tr.note(KindPolicy, why)
		return &outConn{s: s, tr: tr, local: local, remote: remote}, nil, fmt.Errorf("xmpps2s: send to %s: %w: %s", remote, ErrPolicy, why)
	}
	o, err := s.dialOut(ctx, local, remote, tr)
	if err != nil {
		return o, nil, err
	}
	err = o.bound(ctx, func() error {
		if err := o.negotiate(ctx, false); err != nil {
			return err
		}
		return o.authenticate()
	})
	if err != nil {
		o.close()
		return o, nil, err
	}
	tr.note(KindSASL, "authenticated to "+remote+" with "+o.auth)
	st, err := o.session()
	if err != nil {
		o.close()
		return o, nil, err
	}
	return o, st, nil
}

type poolEntry struct {
	ready chan struct{}
	st    *outStream
	err   error
}

// stream returns the pooled outbound stream from local to remote, opening
// it when there is none or the last one ended.
func (s *Server) stream(ctx context.Context, local, remote string) (*outStream, error) {
	key := local + " " + remote
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, fmt.Errorf("xmpps2s: send to %s: %w: server closed", remote, ErrClosed)
		}
		e := s.pool[key]
		if e == nil {
			e = &poolEntry{ready: make(chan struct{})}
			s.pool[key] = e
			s.mu.Unlock()
			_, e.st, e.err = s.openStream(ctx, local, remote, s.newTrace("out", local, remote, false))
			close(e.ready)
			if e.err != nil {
				s.mu.Lock()
				if s.pool[key] == e {
					delete(s.pool, key)
				}
				s.mu.Unlock()
			}
			return e.st, e.err
		}
		s.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("xmpps2s: send to %s: %w: %w", remote, ErrTimeout, ctx.Err())
		}
		if e.err != nil {
			return nil, e.err
		}
		if !e.st.dead() {
			return e.st, nil
		}
		s.mu.Lock()
		if s.pool[key] == e {
			delete(s.pool, key)
		}
		s.mu.Unlock()
	}
}

func (s *Server) sendTokens(ctx context.Context, local, remote string, toks []xml.Token) error {
	st, err := s.stream(ctx, local, remote)
	if err != nil {
		return err
	}
	st.o.tr.add(DirSent, KindStanza, encodeTokens(toks), "")
	return st.sendTokens(ctx, toks)
}

// Send sends a message from a local user (m.From) to m.To over the pooled
// outbound stream to the recipient's domain, opening and authenticating
// it when needed. A nil error means the stream took the bytes, not that
// anything was delivered: Probe waits for a reply.
func (s *Server) Send(ctx context.Context, m Message) error {
	from, err := ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("xmpps2s: send: from: %w", err)
	}
	to, err := ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("xmpps2s: send: to: %w", err)
	}
	if !s.serves(from.Domainpart()) {
		return fmt.Errorf("xmpps2s: send: %w: %s is not a local domain", ErrJID, from.Domainpart())
	}
	if m.ID == "" {
		m.ID = newID()
	}
	return s.sendTokens(ctx, from.Domainpart(), to.Domainpart(), messageTokens(messageHeader(m, from, to), m.Body, m.Thread))
}

// verifyKey asks the Authoritative Server of remote whether key is valid
// for the stream id we gave it (XEP-0220 §2.1.2), over a connection opened
// only for that, and returns dialback.Valid, Invalid or Error.
func (s *Server) verifyKey(ctx context.Context, local, remote, id, key string) (string, error) {
	tr := s.newTrace("verify", local, remote, false)
	o, err := s.dialOut(ctx, local, remote, tr)
	if err != nil {
		return "", err
	}
	defer o.close()
	var typ string
	err = o.bound(ctx, func() error {
		if err := o.negotiate(ctx, true); err != nil {
			return err
		}
		if err := o.send(KindDialback, dialback.Element{Verify: true, From: local, To: remote, ID: id, Key: key}.String()); err != nil {
			return err
		}
		for {
			el, err := o.next(KindDialback)
			if err != nil {
				return err
			}
			if !el.is(dialback.NS, "verify") {
				continue
			}
			e, err := dialback.DecodeElement(el.start, tokensAfterStart(el))
			if err != nil {
				return fmt.Errorf("xmpps2s: %s: %w: %w", remote, ErrProtocol, err)
			}
			if e.ID != id || e.From != remote || e.To != local {
				continue
			}
			typ = e.Type
			if typ == dialback.Error {
				return fmt.Errorf("xmpps2s: %s: dialback verify error <%s/>", remote, e.Condition)
			}
			// End politely: our close, then the peer's, waiting at most
			// a second for it (the answer is already in hand).
			if o.w.write("</stream:stream>") == nil {
				_ = o.tcp.SetReadDeadline(time.Now().Add(time.Second))
				for {
					if _, err := o.w.next(); err != nil {
						break
					}
				}
			}
			return nil
		}
	})
	return typ, err
}
