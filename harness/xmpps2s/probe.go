package xmpps2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// ProbeMessage is the 1:1 message a partner user sends to a site user.
type ProbeMessage struct {
	From, To string // JIDs: a user of this server's domains, a site user
	Body     string // default "cutover federation probe"
	Type     string // default "chat"
	Thread   string // default random; the reply must carry it
	// NoReply sends without waiting for a reply (e.g. to a user who only
	// receives); the Result then proves nothing about delivery.
	NoReply bool
	// Wait, when set, bounds the wait for the reply once the message is
	// sent (within the probe's own deadline): the site's delivery
	// timeout, not its negotiation's.
	Wait time.Duration `json:",omitempty"`
}

// Result is everything a federation check needs about one probe: how the
// site's domain resolved, which candidates were tried, the TLS mode and
// the certificate's identity, how the stream authenticated, and what
// decided the outcome.
type Result struct {
	Domain     string
	Resolution *Resolution
	Attempts   []Attempt
	Connected  *Candidate // nil when no candidate connected
	// TLS is "direct-tls", "starttls" or "none".
	TLS        string
	TLSVersion string
	ALPN       string
	// PeerCertificates are the site's certificates (not printed).
	PeerCertificates []*x509.Certificate
	// Identity is what the certificate matched (DNS-ID, SRV-ID, XmppAddr);
	// CertError why it did not verify, "" when it did.
	Identity  Identity
	CertError string
	// Features are the stream features offered after TLS.
	Features []string
	// Auth is "external" or "dialback" ("" when none succeeded);
	// ExternalError says why EXTERNAL was not used when dialback was.
	Auth          string
	ExternalError string
	StreamID      string
	Sent          string // the message as sent
	Reply         *Message
	// StreamError is the site's stream error, when one ended the stream.
	StreamError *StreamError
	// Decided is the raw element that decided the verdict: the reply, the
	// bounce, the stream error, the SASL failure or the dialback answer.
	Decided  string
	Evidence []string // the outbound transcript and the inbound reply path
	Elapsed  time.Duration
	// Error is the verdict's error text ("" when the reply came back).
	Error string
}

// String is the evidence as text for a report.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "domain %s tls %s %s alpn %q identity %s auth %q\n", r.Domain, r.TLS, r.TLSVersion, r.ALPN, r.Identity, r.Auth)
	if r.CertError != "" {
		b.WriteString("certificate: " + r.CertError + "\n")
	}
	if r.ExternalError != "" {
		b.WriteString("external: " + r.ExternalError + "\n")
	}
	// The DNS answers and the attempts are the first evidence lines.
	for _, l := range r.Evidence {
		b.WriteString(l + "\n")
	}
	if r.Decided != "" {
		b.WriteString("decided by: " + r.Decided + "\n")
	}
	if r.Error != "" {
		b.WriteString("verdict: " + r.Error + "\n")
	}
	return b.String()
}

func messageHeader(m Message, from, to jid.JID) stanza.Message {
	return stanza.Message{ID: m.ID, From: from, To: to, Type: stanza.MessageType(m.Type)}
}

// Probe plays a federating partner: it resolves the To's domain through
// the resolver, connects (candidates in order), runs direct TLS or
// STARTTLS, checks the certificate for the domain, authenticates with
// SASL EXTERNAL or falls back to dialback where offered, sends the
// message on a fresh stream and waits, within ctx, for the reply that the
// site sends back on its own stream to this server (or a bounce, or a
// stream error). The Result is returned with every error; the error wraps
// the sentinel of what failed: ErrServiceAbsent, ErrResolve,
// ErrNoAddress, ErrConnect, ErrTLS, ErrNoTLS, ErrCertificate (with
// RequireAuthenticatedTLS), ErrAuth, ErrPolicy, ErrStreamError,
// ErrStanzaError, ErrClosed, ErrTimeout or ErrNoReply.
func (s *Server) Probe(ctx context.Context, p ProbeMessage) (*Result, error) {
	start := s.cfg.clock()
	r := &Result{TLS: "none"}
	fail := func(err error) (*Result, error) {
		r.Elapsed = s.cfg.clock().Sub(start)
		if err != nil {
			r.Error = err.Error()
		}
		return r, err
	}
	from, err := ParseAddress(p.From)
	if err != nil {
		return fail(fmt.Errorf("xmpps2s: probe: from: %w", err))
	}
	to, err := ParseAddress(p.To)
	if err != nil {
		return fail(fmt.Errorf("xmpps2s: probe: to: %w", err))
	}
	if !s.serves(from.Domainpart()) {
		return fail(fmt.Errorf("xmpps2s: probe: %w: %s is not served by this partner server", ErrJID, from.Domainpart()))
	}
	local, remote := from.Domainpart(), to.Domainpart()
	r.Domain = remote
	if p.Body == "" {
		p.Body = "cutover federation probe"
	}
	if p.Type == "" {
		p.Type = "chat"
	}
	if p.Thread == "" {
		p.Thread = "probe-" + newID()
	}
	m := Message{ID: newID(), From: from.String(), To: to.String(), Type: p.Type, Thread: p.Thread, Body: p.Body}
	wait := make(chan Message, 1)
	if !p.NoReply {
		s.mu.Lock()
		s.waiters["thread:"+m.Thread] = wait
		s.waiters["id:"+m.ID] = wait
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.waiters, "thread:"+m.Thread)
			delete(s.waiters, "id:"+m.ID)
			s.mu.Unlock()
		}()
	}
	eventsFrom := len(s.Received())

	tr := s.newTrace("probe", local, remote, true)
	o, st, err := s.openStream(ctx, local, remote, tr)
	r.fill(o)
	r.Evidence = tr.text()
	if err != nil {
		var se *StreamError
		if errors.As(err, &se) {
			r.StreamError = se
		}
		return fail(err)
	}
	defer st.shutdown()
	toks := messageTokens(messageHeader(m, from, to), m.Body, m.Thread)
	r.Sent = encodeTokens(toks)
	tr.add(DirSent, KindStanza, r.Sent, "")
	if err := st.sendTokens(ctx, toks); err != nil {
		r.Evidence = tr.text()
		return fail(err)
	}
	if p.NoReply {
		r.Evidence = tr.text()
		return fail(nil)
	}
	var verdict error
	waited := ctx.Done()
	if p.Wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, p.Wait)
		defer cancel()
		waited = wctx.Done()
	}
	select {
	case reply := <-wait:
		r.Reply = &reply
		r.Decided = reply.Raw
		if reply.Error != nil {
			verdict = fmt.Errorf("xmpps2s: probe %s → %s: %w", m.From, m.To, reply.Error)
		}
	case <-st.done:
		verdict = st.err
		var se *StreamError
		if errors.As(st.err, &se) {
			r.StreamError, r.Decided = se, se.Raw
		}
	case <-waited:
		verdict = fmt.Errorf("xmpps2s: probe %s → %s: %w: nothing came back from %s within the deadline (%v)", m.From, m.To, ErrNoReply, remote, ctx.Err())
		if ctx.Err() == nil {
			verdict = fmt.Errorf("xmpps2s: probe %s → %s: %w: nothing came back from %s within %v of sending", m.From, m.To, ErrNoReply, remote, p.Wait)
		}
	}
	r.Evidence = append(tr.text(), s.inboundEvidence(eventsFrom, remote)...)
	return fail(verdict)
}

// fill copies what the outbound negotiation learnt.
func (r *Result) fill(o *outConn) {
	if o == nil {
		return
	}
	r.Resolution, r.Attempts, r.Decided = o.res, o.attempts, o.decided
	if o.tcp != nil {
		c := o.cand
		r.Connected = &c
	}
	r.TLS = o.tlsMode
	if o.tlsState != nil {
		r.TLSVersion = tls.VersionName(o.tlsState.Version)
		r.ALPN = o.tlsState.NegotiatedProtocol
		r.PeerCertificates = o.tlsState.PeerCertificates
	}
	r.Identity = o.ident
	if o.certErr != nil {
		r.CertError = o.certErr.Error()
	}
	if o.feats != nil {
		r.Features = o.feats.children("")
		if mechs := o.mechanisms(); len(mechs) > 0 {
			r.Features = append(r.Features, mechs...)
		}
	}
	r.Auth = o.auth
	if o.externalErr != nil {
		r.ExternalError = o.externalErr.Error()
	}
	r.StreamID = o.hdr.ID
}

// inboundEvidence is what the site sent us on its own streams during the
// probe (the reply path: its header, authentication and stanzas).
func (s *Server) inboundEvidence(from int, remote string) []string {
	evs := s.Received()
	if from > len(evs) {
		from = 0
	}
	var out []string
	for _, e := range evs[from:] {
		if e.Remote != remote || !strings.HasPrefix(e.Stream, "in-") && !strings.HasPrefix(e.Stream, "out-") {
			continue
		}
		out = append(out, "<< "+e.String())
		if len(out) >= maxTrace {
			break
		}
	}
	return out
}
