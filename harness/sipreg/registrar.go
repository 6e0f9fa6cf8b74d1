// Package sipreg fakes a SIP OAuth registrar (Unified CM in SIP OAuth
// mode, or an RFC 8898 registrar) on sipgo, and holds the SIP pieces the
// softphone client shares with it: a bounded SIP message reader, address
// and Contact parsing, Bearer challenges and credentials on top of
// harness/httpauth, and the device types. See README.md.
package sipreg

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// ErrUnexpected is returned by Close when the fake saw requests a
// registrar check never sends (anything but REGISTER).
const ErrUnexpected = Sentinel("sipreg: unexpected requests")

// Request is one request the fake received. Credentials are never kept:
// Auth holds the header name and scheme only ("Proxy-Authorization:
// Bearer [redacted]").
type Request struct {
	Role      Role
	Transport string
	Method    string
	AOR       string
	Device    string
	Auth      string
	// Expires is what the request asked (header or Contact parameter);
	// -1 when it said nothing.
	Expires int
	Status  int
	// Note says why the fake answered so ("port mismatch", "token
	// expired", "registered").
	Note string
}

// Binding is one registered contact.
type Binding struct {
	AOR, User, Device, Instance string
	Contact                     string
	Role                        Role
	Expires                     time.Time
}

type binding struct {
	Binding
	contact Contact
	key     string
}

// Server is a running registrar fake.
type Server struct {
	cfg config

	oauthAddr, mraAddr, tcpAddr, udpAddr string

	closers []io.Closer
	uas     []*sipgo.UserAgent
	wg      sync.WaitGroup
	done    chan struct{}

	mu         sync.Mutex
	bindings   []*binding
	received   []Request // the last MaxRecorded requests, a ring from start
	start      int
	unexpected []string
	rawConns   map[net.Conn]struct{}

	closeOnce sync.Once
}

// Start validates opts and serves, returning once every listener is
// bound. WithCertificate (or WithTLSConfig with a certificate) is
// required.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sipreg: start: %w", err)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("sipreg: option: %w", err)
		}
	}
	cfg.fill()
	quietSipgo.Do(func() { sip.SetDefaultLogger(discardLogger()) })
	if cfg.validate == nil {
		cfg.validate = func(string, time.Time) (string, error) { return "", ErrTokenUnknown }
	}
	tc, err := cfg.serverTLS()
	if err != nil {
		return nil, fmt.Errorf("sipreg: option: %w", err)
	}
	s := &Server{cfg: cfg, done: make(chan struct{}), rawConns: map[net.Conn]struct{}{}}
	fail := func(err error) (*Server, error) {
		_ = s.Close()
		return nil, err
	}

	ln := cfg.ln
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.addr); err != nil {
			return fail(fmt.Errorf("sipreg: listen oauth: %w", err))
		}
	}
	s.oauthAddr = ln.Addr().String()
	if err := s.serveStream(RoleOAuth, "TLS", tls.NewListener(ln, tc)); err != nil {
		return fail(err)
	}
	if cfg.mra {
		mln := cfg.mraLn
		if mln == nil {
			if mln, err = net.Listen("tcp", cfg.mraAddr); err != nil {
				return fail(fmt.Errorf("sipreg: listen mra: %w", err))
			}
		}
		s.mraAddr = mln.Addr().String()
		if err := s.serveStream(RoleMRA, "TLS", tls.NewListener(mln, cfg.mraTLS(tc))); err != nil {
			return fail(err)
		}
	}
	if cfg.plainTCP != "" {
		pln, err := net.Listen("tcp", cfg.plainTCP)
		if err != nil {
			return fail(fmt.Errorf("sipreg: listen plain tcp: %w", err))
		}
		s.tcpAddr = pln.Addr().String()
		if err := s.serveStream(RolePlain, "TCP", pln); err != nil {
			return fail(err)
		}
	}
	if cfg.plainUDP != "" {
		pc, err := net.ListenPacket("udp", cfg.plainUDP)
		if err != nil {
			return fail(fmt.Errorf("sipreg: listen plain udp: %w", err))
		}
		s.udpAddr = pc.LocalAddr().String()
		if err := s.servePacket(pc); err != nil {
			return fail(err)
		}
	}
	return s, nil
}

func (c *config) serverTLS() (*tls.Config, error) {
	var tc *tls.Config
	switch {
	case c.tlsConfig != nil:
		tc = c.tlsConfig.Clone()
		if c.cert != nil {
			tc.Certificates = []tls.Certificate{*c.cert}
		}
	case c.cert != nil:
		tc = &tls.Config{Certificates: []tls.Certificate{*c.cert}, MinVersion: tls.VersionTLS12}
	default:
		return nil, errors.New("WithCertificate is required")
	}
	if len(tc.Certificates) == 0 && tc.GetCertificate == nil {
		return nil, errors.New("WithCertificate is required")
	}
	if c.f.tlsBelow12 {
		tc.MinVersion, tc.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	}
	return tc, nil
}

func (c *config) mraTLS(base *tls.Config) *tls.Config {
	tc := base.Clone()
	switch {
	case c.f.anyClientCert:
		tc.ClientAuth = tls.RequireAnyClientCert
		return tc
	case c.f.untrustedSigner:
		tc.ClientCAs = x509.NewCertPool() // the signer was never uploaded
	default:
		tc.ClientCAs = c.expSigner
	}
	tc.ClientAuth = tls.RequireAndVerifyClientCert
	if c.f.noClientCertOK {
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if len(c.expNames) > 0 {
		names := append([]string(nil), c.expNames...)
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				if c.f.noClientCertOK {
					return nil
				}
				return errors.New("sipreg: no Expressway-C certificate")
			}
			leaf := cs.PeerCertificates[0]
			for _, n := range names {
				if strings.EqualFold(leaf.Subject.CommonName, n) {
					return nil
				}
				for _, d := range leaf.DNSNames {
					if strings.EqualFold(d, n) {
						return nil
					}
				}
			}
			return fmt.Errorf("sipreg: certificate %q is not a known Expressway-C", leaf.Subject.CommonName)
		}
	}
	return tc
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// quietSipgo silences the few sipgo messages no option reaches (its TCP
// transport warns "TCP ref went negative" through sip.DefaultLogger when
// a client closes a connection): a process-wide setting, made once,
// before the first fake's sipgo goroutines start (they read it after).
var quietSipgo sync.Once

// parser is sipgo's parser without its typed Contact (and Refer-To,
// Referred-By): sipgo's server transactions never read them, and the
// registrar reads every header as text (fromSipgo), so a Contact is kept
// as sent (its spelling, a compact "m" included) instead of being parsed
// and rendered again for every REGISTER.
var parser = sip.NewParser(sip.WithHeadersParsers(func() map[string]sip.HeaderParser {
	m := maps.Clone(sip.DefaultHeadersParser())
	for _, name := range []string{"contact", "m", "refer-to", "referred-by"} {
		delete(m, name)
	}
	return m
}()))

func (s *Server) newSIP(role Role, transport string) (*sipgo.Server, error) {
	log := discardLogger()
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(s.cfg.server),
		sipgo.WithUserAgentHostname(s.cfg.hostname),
		sipgo.WithUserAgentParser(parser),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)),
	)
	if err != nil {
		return nil, fmt.Errorf("sipreg: user agent: %w", err)
	}
	s.uas = append(s.uas, ua)
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return nil, fmt.Errorf("sipreg: server: %w", err)
	}
	h := s.handler(role, transport)
	srv.OnRegister(h)
	srv.OnNoRoute(h)
	return srv, nil
}

func (s *Server) serveStream(role Role, transport string, ln net.Listener) error {
	s.closers = append(s.closers, ln)
	if s.cfg.f.raw() {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.rawAccept(role, transport, ln)
		}()
		return nil
	}
	srv, err := s.newSIP(role, transport)
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if transport == "TLS" {
			_ = srv.ServeTLS(ln)
		} else {
			_ = srv.ServeTCP(ln)
		}
	}()
	return nil
}

func (s *Server) servePacket(pc net.PacketConn) error {
	s.closers = append(s.closers, pc)
	if s.cfg.f.raw() {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.rawPacket(pc)
		}()
		return nil
	}
	srv, err := s.newSIP(RolePlain, "UDP")
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.ServeUDP(pc)
	}()
	return nil
}

// Addr is the OAuth port's 127.0.0.1:<port> (TLS).
func (s *Server) Addr() string { return s.oauthAddr }

// MRAAddr is the MRA port's address, "" without WithMRA.
func (s *Server) MRAAddr() string { return s.mraAddr }

// PlainAddr is the plain "tcp" or "udp" port's address, "" if not opened.
func (s *Server) PlainAddr(network string) string {
	if network == "udp" {
		return s.udpAddr
	}
	return s.tcpAddr
}

// Profile is the profile the fake runs.
func (s *Server) Profile() Profile { return s.cfg.profile }

// Close stops every listener and waits for the goroutines; it is
// idempotent. It reports ErrUnexpected if a request other than REGISTER
// arrived.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		for _, c := range s.closers {
			_ = c.Close()
		}
		for _, ua := range s.uas {
			_ = ua.Close()
		}
		s.mu.Lock()
		for c := range s.rawConns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unexpected) > 0 {
		return fmt.Errorf("%w: %s", ErrUnexpected, strings.Join(s.unexpected, ", "))
	}
	return nil
}

// MaxRecorded bounds the requests Received keeps: the last 65536, so a
// load test or a long-running fake does not grow without end.
const MaxRecorded = 1 << 16

// Received returns a copy of the requests so far (the last MaxRecorded
// of them), oldest first.
func (s *Server) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(slices.Clone(s.received[s.start:]), s.received[:s.start]...)
}

// Bindings returns the live bindings at the fake's clock, sorted by AOR
// then contact.
func (s *Server) Bindings() []Binding {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.clock()
	var out []Binding
	for _, b := range s.bindings {
		if b.Expires.After(now) {
			out = append(out, b.Binding)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AOR != out[j].AOR {
			return out[i].AOR < out[j].AOR
		}
		return out[i].Contact < out[j].Contact
	})
	return out
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.received) < MaxRecorded {
		s.received = append(s.received, r)
		return
	}
	s.received[s.start] = r
	s.start = (s.start + 1) % MaxRecorded
}

// handler answers one request through sipgo.
func (s *Server) handler(role Role, transport string) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if s.cfg.hook != nil && req.Method == sip.REGISTER {
			if res := s.cfg.hook(req); res != nil {
				s.record(Request{Role: role, Transport: transport, Method: string(req.Method),
					Expires: -1, Status: res.StatusCode, Note: "hook"})
				_ = tx.Respond(res)
				return
			}
		}
		m := fromSipgo(req)
		rec := Request{Role: role, Transport: transport, Method: m.Method, Expires: -1}
		rep := s.decide(role, m, &rec)
		rec.Status, rec.Note = rep.code, rep.note
		s.record(rec)
		res := sip.NewResponseFromRequest(req, rep.code, rep.reason, nil)
		for _, h := range rep.headers {
			res.AppendHeader(sip.NewHeader(h.Name, h.Value))
		}
		_ = tx.Respond(res)
	}
}

func fromSipgo(req *sip.Request) *Message {
	hs := req.Headers()
	m := &Message{Method: string(req.Method), RequestURI: req.Recipient.String(), Headers: make([]Header, 0, len(hs))}
	for _, h := range hs {
		m.Headers = append(m.Headers, Header{Name: h.Name(), Value: h.Value()})
	}
	m.Body = req.Body()
	return m
}

type reply struct {
	code    int
	reason  string
	headers []Header
	note    string
}

func (r *reply) add(name, value string) { r.headers = append(r.headers, Header{name, value}) }

// decorate adds what every response carries: Server and Date.
func (s *Server) decorate(r reply) reply {
	r.headers = append([]Header{
		{"Server", s.cfg.server},
		{"Date", s.cfg.clock().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")},
	}, r.headers...)
	return r
}

func (s *Server) warning(text string) string {
	return "399 " + s.cfg.hostname + " " + strconv.Quote(text)
}

// decide is the registrar: it reads a request and says what to answer.
func (s *Server) decide(role Role, m *Message, rec *Request) reply {
	if m.Method != "REGISTER" {
		s.mu.Lock()
		s.unexpected = append(s.unexpected, m.Method+" on "+string(role))
		s.mu.Unlock()
		r := reply{code: 405, reason: "Method Not Allowed", note: "not REGISTER"}
		r.add("Allow", "REGISTER")
		return s.decorate(r)
	}
	bad := func(why string) reply {
		r := reply{code: 400, reason: "Bad Request", note: why}
		r.add("Warning", s.warning(why))
		return s.decorate(r)
	}
	to, err := ParseNameAddr(m.Get("To"))
	if err != nil {
		return bad("bad To")
	}
	rec.AOR = to.URI.AOR()
	var contacts []Contact
	star := false
	for _, v := range m.Values("Contact") {
		cs, err := ParseContacts(v)
		if err != nil {
			return bad("bad Contact")
		}
		for _, c := range cs {
			star = star || c.Star
		}
		contacts = append(contacts, cs...)
	}
	if star && len(contacts) > 1 {
		return bad("'*' with other contacts")
	}
	hdrExpires := -1
	if v := m.Get("Expires"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return bad("bad Expires")
		}
		hdrExpires = n
	}
	rec.Expires = hdrExpires
	if len(contacts) > 0 && !star {
		rec.Device = contacts[0].DeviceName()
		if n, ok := contacts[0].Expires(); ok {
			rec.Expires = n
		}
	}
	if cr, err := RequestCredentials(m); err == nil || !errors.Is(err, ErrNoCredentials) {
		rec.Auth = cr.Header + ": " + RedactCredentials(m.Get(cr.Header))
	}

	user, ok := s.user(to.URI.User)
	if !ok {
		r := reply{code: 404, reason: "Not Found", note: "unknown user " + to.URI.User}
		return s.decorate(r)
	}
	if s.cfg.profile == ProfileUCM && !star && len(contacts) > 0 {
		for _, c := range contacts {
			name := c.DeviceName()
			if name == "" {
				return bad("no " + ParamDeviceName)
			}
			dev, ok := s.device(user, name)
			if !ok {
				r := reply{code: 404, reason: "Not Found", note: "unknown device " + name}
				r.add("Warning", s.warning("Unknown device "+name))
				return s.decorate(r)
			}
			if dev.OAuthDisabled || s.cfg.f.noOAuth[strings.ToLower(dev.Name)] {
				r := reply{code: 403, reason: "Forbidden", note: "port mismatch"}
				r.add("Retry-After", "35")
				r.add("Warning", s.warning("SIP OAuth Registration port Mismatch"))
				return s.decorate(r)
			}
		}
	}

	if r, ok := s.authenticate(m, user); !ok {
		return s.decorate(r)
	}
	return s.decorate(s.bind(role, rec.AOR, user, contacts, star, hdrExpires))
}

func (s *Server) user(aorUser string) (User, bool) {
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Name, aorUser) {
			return u, true
		}
		for _, l := range u.Lines {
			if l == aorUser {
				return u, true
			}
		}
	}
	return User{}, false
}

func (s *Server) device(u User, name string) (Device, bool) {
	if s.cfg.f.removed[strings.ToLower(name)] {
		return Device{}, false
	}
	for _, d := range u.Devices {
		if strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return Device{}, false
}

// challenge is the 407 (ucm) or 401 (rfc8898) asking for a token;
// errCode and errDesc are set when a token was refused.
func (s *Server) challenge(errCode, errDesc, note string) reply {
	realm := s.cfg.realm
	if s.cfg.f.wrongRealm != "" {
		realm = s.cfg.f.wrongRealm
	}
	r := reply{code: 401, reason: "Unauthorized", note: note}
	hdr := "WWW-Authenticate"
	if s.cfg.profile == ProfileUCM {
		r.code, r.reason, hdr = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	if s.cfg.f.digestOnly {
		r.add(hdr, fmt.Sprintf(`Digest realm=%q, nonce=%q, algorithm=MD5, qop="auth"`, realm, nonce()))
		return r
	}
	scope, authz := "", ""
	if s.cfg.profile == ProfileRFC8898 {
		scope, authz = s.cfg.scope, s.cfg.authzServer
		if s.cfg.f.authzServer != "" {
			authz = s.cfg.f.authzServer
		}
		if s.cfg.f.omitAuthz {
			authz = ""
		}
	}
	r.add(hdr, FormatChallenge(realm, scope, authz, errCode, errDesc))
	return r
}

func nonce() string { return randomHex(12) }

// authenticate checks the credentials; ok false means r is the answer.
func (s *Server) authenticate(m *Message, user User) (reply, bool) {
	cr, err := RequestCredentials(m)
	switch {
	case errors.Is(err, ErrNoCredentials):
		if s.cfg.f.skipChallenge {
			return reply{}, true
		}
		return s.challenge("", "", "challenged"), false
	case err != nil:
		r := reply{code: 400, reason: "Bad Request", note: "bad credentials"}
		r.add("Warning", s.warning("bad credentials"))
		return r, false
	case !strings.EqualFold(cr.Scheme, "Bearer") || s.cfg.f.digestOnly:
		return s.challenge("", "", "not Bearer: "+cr.Scheme), false
	}
	if s.cfg.f.anyToken {
		return reply{}, true
	}
	tokUser, err := s.cfg.validate(cr.Token, s.cfg.clock())
	switch {
	case err == nil:
	case errors.Is(err, ErrTokenExpired) && s.cfg.f.expiredOK && tokUser != "":
	case errors.Is(err, ErrTokenRevoked) && s.cfg.f.revokedOK && tokUser != "":
	default:
		return s.challenge(BearerInvalidToken, TokenReason(err), "token refused: "+err.Error()), false
	}
	if !strings.EqualFold(tokUser, user.Name) && !s.cfg.f.otherUserOK {
		r := reply{code: 403, reason: "Forbidden", note: "token of " + tokUser + " for " + user.Name}
		r.add("Warning", s.warning("token user does not match the AOR"))
		return r, false
	}
	return reply{}, true
}

// bind applies the REGISTER to the bindings and builds the 200.
func (s *Server) bind(role Role, aor string, user User, contacts []Contact, star bool, hdrExpires int) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.clock()
	r := reply{code: 200, reason: "OK", note: "registered"}
	if star {
		if hdrExpires != 0 {
			return reply{code: 400, reason: "Bad Request", note: "'*' without Expires: 0"}
		}
		if s.cfg.f.rejectUnregister {
			return reply{code: 500, reason: "Server Internal Error", note: "unregister refused (fault)"}
		}
		if !s.cfg.f.keepOnUnregister {
			s.dropLocked(func(b *binding) bool { return strings.EqualFold(b.AOR, aor) })
		}
		r.note = "unregistered all"
		return s.listLocked(r, aor, now, nil)
	}
	fresh := map[string]bool{}
	granted := -1
	for _, c := range contacts {
		exp := 3600
		if hdrExpires >= 0 {
			exp = hdrExpires
		}
		if n, ok := c.Expires(); ok {
			exp = n
		}
		key := strings.ToLower(aor) + "|" + bindingKey(c)
		var have *binding
		for _, b := range s.bindings {
			if b.key == key && b.Expires.After(now) {
				have = b
			}
		}
		if exp == 0 {
			if s.cfg.f.rejectUnregister {
				return reply{code: 500, reason: "Server Internal Error", note: "unregister refused (fault)"}
			}
			if !s.cfg.f.keepOnUnregister {
				s.dropLocked(func(b *binding) bool { return b.key == key })
			}
			r.note = "unregistered"
			continue
		}
		if have != nil && s.cfg.f.rejectRefresh {
			return reply{code: 500, reason: "Server Internal Error", note: "refresh refused (fault)"}
		}
		g := min(time.Duration(exp)*time.Second, s.cfg.expires)
		granted = int(g / time.Second)
		if have != nil {
			have.Expires = now.Add(g)
			have.contact = c
			r.note = "refreshed"
			continue
		}
		s.dropLocked(func(b *binding) bool { return b.key == key })
		s.bindings = append(s.bindings, &binding{
			Binding: Binding{AOR: aor, User: user.Name, Device: c.DeviceName(),
				Instance: c.Instance(), Contact: c.RawURI, Role: role, Expires: now.Add(g)},
			contact: c, key: key,
		})
		fresh[key] = true
	}
	r = s.listLocked(r, aor, now, fresh)
	if granted >= 0 {
		r.add("Expires", strconv.Itoa(granted))
	}
	return r
}

func bindingKey(c Contact) string {
	if in := c.Instance(); in != "" {
		return "instance:" + in
	}
	return "uri:" + c.URI.AOR()
}

func (s *Server) dropLocked(match func(*binding) bool) {
	out := s.bindings[:0]
	for _, b := range s.bindings {
		if !match(b) {
			out = append(out, b)
		}
	}
	s.bindings = out
}

// listLocked puts every live binding of the user in the 200's Contact
// with its remaining expires (RFC 3261 §10.3 step 8); UCM marks new ones
// with x-cisco-newreg.
func (s *Server) listLocked(r reply, aor string, now time.Time, fresh map[string]bool) reply {
	var cs []Contact
	for _, b := range s.bindings {
		if !strings.EqualFold(b.AOR, aor) || !b.Expires.After(now) {
			continue
		}
		c := b.contact
		var ps []Param
		for _, p := range c.Params {
			if !strings.EqualFold(p.Name, "expires") && !strings.EqualFold(p.Name, ParamNewReg) {
				ps = append(ps, p)
			}
		}
		left := int((b.Expires.Sub(now) + time.Second - 1) / time.Second)
		ps = append(ps, Param{Name: "expires", Value: strconv.Itoa(left), HasValue: true})
		if fresh[b.key] && s.cfg.profile == ProfileUCM {
			ps = append(ps, Param{Name: ParamNewReg})
		}
		c.Params = ps
		cs = append(cs, c)
	}
	for _, c := range cs {
		r.add("Contact", c.String())
	}
	return r
}
