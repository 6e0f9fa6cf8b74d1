// Package xmpps2s is the XMPP server-to-server layer of the federation
// checks: SRV resolution as RFC 6120 §3.2 and XEP-0368 say, a fake XMPP
// server (the site's IM and Presence server, a Webex federation edge, a
// partner domain) that sends and receives federated messages over TLS with
// SASL EXTERNAL (XEP-0178) or dialback (XEP-0220, XEP-0185 keys), and the
// client model of a federating partner (Server.Probe) the checks drive.
//
// It is a small layer on mellium.im/xmpp: stream headers, STARTTLS, the
// stream restarts, SASL EXTERNAL (a mellium.im/sasl Mechanism) and
// dialback are negotiated by this package on encoding/xml with size caps,
// because mellium cannot receive an s2s stream and has neither EXTERNAL
// nor dialback; outbound streams then run as mellium sessions (the
// negotiated header is replayed into the session), and JIDs, stanzas and
// stream errors are mellium's. See README.md.
package xmpps2s

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"
)

// EchoPrefix starts the body of every echo reply (WithEcho).
const EchoPrefix = "echo: "

// Directions and kinds of recorded events.
const (
	DirRecv = "recv"
	DirSent = "sent"
	DirNote = "note"

	KindHeader      = "header"
	KindFeatures    = "features"
	KindTLS         = "tls"
	KindSASL        = "sasl"
	KindDialback    = "dialback"
	KindStanza      = "stanza"
	KindStreamError = "stream-error"
	KindClose       = "close"
	KindPolicy      = "policy"
	KindDial        = "dial"
	KindFault       = "fault"
	KindError       = "error"
)

// Event is one thing a stream of the fake sent, received or decided.
type Event struct {
	Time   time.Time
	Stream string // "in-3", "out-2", "verify-4", "probe-1"
	Dir    string // DirRecv, DirSent or DirNote
	Local  string // our domain on that stream, when known
	Remote string // the peer's domain, when known
	Kind   string
	XML    string // the element as sent or received, capped at 2 KiB
	Note   string
}

func (e Event) String() string {
	s := fmt.Sprintf("%s %s %s %s", e.Stream, e.Dir, e.Kind, e.Remote)
	if e.XML != "" {
		s += " " + e.XML
	}
	if e.Note != "" {
		s += " (" + e.Note + ")"
	}
	return s
}

// Message is a message stanza delivered to a local user, or a reply or
// bounce a Probe waited for.
type Message struct {
	ID, From, To, Type, Thread, Body string
	// Error is set on type="error" messages.
	Error  *StanzaError
	Raw    string
	Stream string
	Time   time.Time
}

// Server is a running fake XMPP server. Its zero value is not usable; call
// Start.
type Server struct {
	cfg     *config
	ln, dln net.Listener
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	rndMu sync.Mutex
	rnd   *mrand.Rand

	mu         sync.Mutex
	closed     bool
	closeErr   error
	conns      map[net.Conn]func() // → how to end its stream politely, or nil
	events     []Event
	dropped    int
	unexpected []string
	delivered  []Message
	waiters    map[string]chan Message
	pool       map[string]*poolEntry
	seq        int
	// notify, when set (by tests), gets a token after each delivery.
	notify chan struct{}
}

// Start validates opts and serves, returning once the listeners accept.
// WithDomains is required, and a certificate (WithCertificate or
// WithTLSConfig) unless NoStartTLS. ctx bounds only the start; the server
// runs until Close.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("xmpps2s: start: %w", err)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, fmt.Errorf("xmpps2s: start: %w", err)
		}
	}
	if len(cfg.domains) == 0 {
		return nil, errors.New("xmpps2s: start: WithDomains is required")
	}
	if cfg.tlsBase != nil {
		if err := WithCertificate(cfg.tlsBase.Certificates...)(cfg); err != nil {
			return nil, fmt.Errorf("xmpps2s: start: %w", err)
		}
		if cfg.roots == nil {
			cfg.roots = cfg.tlsBase.RootCAs
		}
		if cfg.roots == nil {
			cfg.roots = cfg.tlsBase.ClientCAs
		}
	}
	if len(cfg.certs) == 0 && (!cfg.noStartTLS || cfg.directLn != nil || cfg.directAddr != "") {
		return nil, errors.New("xmpps2s: start: a certificate is required (WithCertificate or WithTLSConfig)")
	}
	s := &Server{
		cfg:     cfg,
		conns:   map[net.Conn]func(){},
		waiters: map[string]chan Message{},
		pool:    map[string]*poolEntry{},
		rnd:     cfg.rnd,
	}
	if s.rnd == nil {
		var seed [16]byte
		_, _ = rand.Read(seed[:])
		s.rnd = mrand.New(mrand.NewPCG(beUint64(seed[:8]), beUint64(seed[8:])))
	}
	var err error
	if s.ln = cfg.ln; s.ln == nil {
		if s.ln, err = net.Listen("tcp", cfg.addr); err != nil {
			return nil, fmt.Errorf("xmpps2s: listen %s: %w", cfg.addr, err)
		}
	}
	s.dln = cfg.directLn
	if s.dln == nil && cfg.directAddr != "" {
		if s.dln, err = net.Listen("tcp", cfg.directAddr); err != nil {
			s.ln.Close()
			return nil, fmt.Errorf("xmpps2s: listen direct tls %s: %w", cfg.directAddr, err)
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.accept(s.ln, false)
	if s.dln != nil {
		s.wg.Add(1)
		go s.accept(s.dln, true)
	}
	return s, nil
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// Addr is the STARTTLS listener's address, e.g. 127.0.0.1:40123.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// DirectAddr is the direct TLS listener's address, or "" without one.
func (s *Server) DirectAddr() string {
	if s.dln == nil {
		return ""
	}
	return s.dln.Addr().String()
}

// Domains are the served domains, canonical, the default first.
func (s *Server) Domains() []string { return append([]string(nil), s.cfg.domains...) }

// Close stops the listeners and every stream and waits for their
// goroutines; it is idempotent. It returns ErrUnexpected, naming what,
// when peers sent what a correct server does not: malformed or oversized
// XML, stanzas before authentication or from an unauthenticated domain,
// unknown elements, bad dialback elements.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.closeErr
	}
	s.closed = true
	conns := make(map[net.Conn]func(), len(s.conns))
	for c, bye := range s.conns {
		conns[c] = bye
	}
	s.mu.Unlock()
	s.cancel()
	s.ln.Close()
	if s.dln != nil {
		s.dln.Close()
	}
	for c, bye := range conns {
		if bye != nil {
			// End the stream (</stream:stream>) so peers see a close,
			// not a reset; bounded so that a stuck peer cannot hold Close.
			_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			bye()
		}
		c.Close()
	}
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unexpected) > 0 {
		s.closeErr = fmt.Errorf("%w: %s", ErrUnexpected, strings.Join(s.unexpected, "; "))
	}
	return s.closeErr
}

// Received returns a copy of the recorded events, oldest first (at most
// WithEventLimit; Dropped says how many older ones were discarded).
func (s *Server) Received() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Dropped is the number of events discarded over the limit.
func (s *Server) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Delivered returns a copy of the messages delivered to local users
// (including error messages that came back), oldest first.
func (s *Server) Delivered() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.delivered...)
}

func (s *Server) record(e Event) {
	e.Time = s.cfg.clock()
	e.XML = clip(e.XML, maxRecord)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) >= s.cfg.maxEvents {
		n := len(s.events) / 2
		s.events = append(s.events[:0], s.events[n:]...)
		s.dropped += n
	}
	s.events = append(s.events, e)
}

func (s *Server) unexpectedf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unexpected) < 50 {
		s.unexpected = append(s.unexpected, fmt.Sprintf(format, args...))
	}
}

// track registers a connection so that Close closes it; false when the
// server is already closed (the connection is then closed).
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = nil
	return true
}

// onClose sets how Close ends the stream on c.
func (s *Server) onClose(c net.Conn, bye func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		s.conns[c] = bye
	}
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) streamName(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s-%d", prefix, s.seq)
}

func (s *Server) rand() *mrand.Rand {
	// Resolve draws from it; a copy seeded from the shared source keeps
	// the draws serialised without holding the lock across DNS queries.
	s.rndMu.Lock()
	defer s.rndMu.Unlock()
	return mrand.New(mrand.NewPCG(s.rnd.Uint64(), s.rnd.Uint64()))
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// serves reports whether d is one of our domains.
func (s *Server) serves(d string) bool {
	for _, x := range s.cfg.domains {
		if x == d {
			return true
		}
	}
	return false
}

// refusal is why remote may not federate with us, or "".
func (s *Server) refusal(remote string) string {
	switch {
	case s.serves(remote):
		return "peer domain " + remote + " is one of this server's own domains (interdomain federation only)"
	case s.cfg.allowSet && !s.cfg.allow[remote]:
		if len(s.cfg.allow) == 0 {
			return remote + " is not allowed (privacy mode: empty allow list)"
		}
		return remote + " is not on the allow list"
	case s.cfg.block[remote]:
		return remote + " is on the block list"
	}
	return ""
}

func (s *Server) dialbackAllowed() bool { return !s.cfg.noDialback && !s.cfg.requireAuthTLS }

func (s *Server) roots() *x509.CertPool { return s.cfg.roots }

// certFor picks the certificate for a local domain or SNI name.
func (s *Server) certFor(name string) *tls.Certificate {
	if s.cfg.wrongCert != nil {
		return s.cfg.wrongCert
	}
	if len(s.cfg.certs) == 0 {
		return nil
	}
	for i := range s.cfg.certs {
		if _, err := MatchDomain(s.cfg.certs[i].Leaf, name); err == nil {
			return &s.cfg.certs[i]
		}
	}
	return &s.cfg.certs[0]
}

func (s *Server) baseTLS() *tls.Config {
	c := &tls.Config{}
	if s.cfg.tlsBase != nil {
		c = s.cfg.tlsBase.Clone()
	}
	c.Certificates = nil
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// serverTLS is the TLS configuration of inbound streams: the certificate
// by SNI, and a client certificate requested but checked by us (for SASL
// EXTERNAL), not by crypto/tls.
func (s *Server) serverTLS(direct bool) *tls.Config {
	c := s.baseTLS()
	c.GetCertificate = func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		name := hi.ServerName
		if name == "" {
			name = s.cfg.domains[0]
		}
		if cert := s.certFor(name); cert != nil {
			return cert, nil
		}
		return nil, errors.New("xmpps2s: no certificate")
	}
	c.ClientAuth = tls.RequestClientCert
	if direct {
		c.NextProtos = []string{alpnS2S}
	}
	return c
}

// clientTLS is the TLS configuration of outbound streams. The server's
// certificate is verified by VerifyDomain after the handshake, not by
// crypto/tls, so that a certificate that does not verify is recorded and
// dialback can still authenticate the stream; with
// RequireAuthenticatedTLS such a stream is closed.
func (s *Server) clientTLS(local, remote string, direct bool) *tls.Config {
	c := s.baseTLS()
	c.ServerName = remote
	c.InsecureSkipVerify = true // verified by VerifyDomain, see above
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if cert := s.certFor(local); cert != nil {
			return cert, nil
		}
		return &tls.Certificate{}, nil
	}
	if direct {
		c.NextProtos = []string{alpnS2S}
	}
	return c
}

func (s *Server) accept(ln net.Listener, direct bool) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			defer c.Close()
			s.serveInbound(c, direct)
		}()
	}
}
