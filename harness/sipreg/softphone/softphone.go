// Package softphone models the Webex App's (and Jabber's) softphone
// registration with SIP OAuth: REGISTER over TLS only, follow the Bearer
// challenge (never Digest), re-register before expiry, refresh an
// expired token once, and always unregister before returning. See
// README.md.
package softphone

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"example.com/cutover/harness/httpauth"
	"example.com/cutover/harness/sipreg"
)

// Errors a registration fails with; each is wrapped with the detail.
const (
	ErrTLS           = sipreg.Sentinel("softphone: TLS")
	ErrTimeout       = sipreg.Sentinel("softphone: no final response in time")
	ErrClosed        = sipreg.Sentinel("softphone: connection closed by the registrar")
	ErrRejected      = sipreg.Sentinel("softphone: registration rejected")
	ErrPortMismatch  = sipreg.Sentinel("softphone: SIP OAuth registration port mismatch")
	ErrTokenRejected = sipreg.Sentinel("softphone: bearer token rejected")
	ErrNoChallenge   = sipreg.Sentinel("softphone: registered without credentials")
	ErrWrongRealm    = sipreg.Sentinel("softphone: unexpected realm")
	ErrUntrusted     = sipreg.Sentinel("softphone: untrusted authz_server")
	ErrRefresh       = sipreg.Sentinel("softphone: re-registration failed")
	ErrBindingLeft   = sipreg.Sentinel("softphone: binding left on the registrar")
	ErrNoRefresh     = sipreg.Sentinel("softphone: token source cannot refresh")
)

// TokenSource gives the access token to present. refresh is true after
// the registrar refused the previous one (invalid_token): the source
// should obtain a new one (OAuth refresh grant) or fail.
type TokenSource func(ctx context.Context, refresh bool) (string, error)

// StaticToken always gives tok and cannot refresh.
func StaticToken(tok string) TokenSource {
	return func(_ context.Context, refresh bool) (string, error) {
		if refresh {
			return "", ErrNoRefresh
		}
		return tok, nil
	}
}

// CredentialForm picks how Bearer credentials are written.
type CredentialForm int

// Credential forms.
const (
	// FormAuto writes UCM's `Bearer token="…"` after a UCM-style 407 and
	// RFC 6750's `Bearer …` otherwise.
	FormAuto CredentialForm = iota
	FormUCM
	FormRFC6750
)

// Registration says what to register.
type Registration struct {
	// Registrar is the host:port dialled, e.g. "ucm1.example.com:5090".
	Registrar string
	// Domain is the host of the Request-URI and AOR; default Registrar's
	// host.
	Domain string
	// User is the AOR user part: the user ID or a directory number.
	User string
	// Device is the device type; DeviceName defaults to
	// Device.DeviceName(User).
	Device     sipreg.DeviceType
	DeviceName string
	// Instance is the +sip.instance UUID; default derived from DeviceName.
	Instance string
	// Tokens gives the bearer token; required.
	Tokens TokenSource
	// Expires is what REGISTER asks for; default 3600 s (the registrar
	// grants what it wants).
	Expires time.Duration
	// Refreshes is how many re-registrations to make before expiry
	// before unregistering.
	Refreshes int
	// ExpectRealm, when set, is the realm the Bearer challenge must carry
	// (sipreg.UCMRealm for UCM).
	ExpectRealm string
	// Form picks the credentials form; default FormAuto.
	Form CredentialForm
}

// Exchange is one message sent or received, credentials redacted.
type Exchange struct {
	Sent bool
	At   time.Time
	Text string
}

// Refresh is one re-registration.
type Refresh struct {
	Status  int
	Granted time.Duration
	// Kept is false when the registrar called the binding new (UCM's
	// x-cisco-newreg): the old one had lapsed.
	Kept bool
}

// TLSInfo is what the handshake settled.
type TLSInfo struct {
	Version    uint16
	ServerName string
	PeerCerts  []*x509.Certificate
}

// Result is the outcome of Register, filled whatever happened.
type Result struct {
	Registrar, AOR, DeviceName string
	// Registered is true once a REGISTER binding the contact got 200.
	Registered bool
	// Status is the final status of the last REGISTER that tried to bind.
	Status int
	// Reason says in one line what happened and, on failure, why.
	Reason string
	// Challenge is the one that asked for credentials; Refusal the
	// challenge that refused our token (error="invalid_token"), if any.
	Challenge, Refusal *sipreg.Challenge
	// Warning is the Warning header of a refusal, if any.
	Warning string
	Granted time.Duration
	// NewRegistration is UCM's x-cisco-newreg on the first 200.
	NewRegistration bool
	// Listed says the first 200 listed our contact (RFC 3261 §10.3).
	Listed         bool
	TokenRefreshed bool
	Refreshes      []Refresh
	// Unregistered is true when Expires: 0 got 200 and the contact is no
	// longer listed; nothing to remove also counts.
	Unregistered bool
	TLS          *TLSInfo
	Exchanges    []Exchange
	// Dropped counts exchanges not kept (beyond maxExchanges).
	Dropped int
}

// maxExchanges bounds the evidence a registrar that talks forever leaves.
const maxExchanges = 64

// Evidence renders the exchanges for a report.
func (r *Result) Evidence() string {
	var b strings.Builder
	for _, e := range r.Exchanges {
		dir := "<<< received"
		if e.Sent {
			dir = ">>> sent"
		}
		fmt.Fprintf(&b, "%s %s\n%s\n", dir, e.At.UTC().Format(time.RFC3339), strings.TrimRight(e.Text, "\r\n"))
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "… %d more messages not kept\n", r.Dropped)
	}
	return b.String()
}

// Client registers softphones.
type Client struct {
	cfg config
}

// New validates opts.
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("softphone: option: %w", err)
		}
	}
	if cfg.tls.MinVersion < tls.VersionTLS12 {
		cfg.tls.MinVersion = tls.VersionTLS12
	}
	if cfg.tls.Time == nil {
		cfg.tls.Time = cfg.clock
	}
	return &Client{cfg: cfg}, nil
}

// session is one Register call.
type session struct {
	cfg   *config
	reg   Registration
	res   *Result
	host  string
	token string

	conn  net.Conn
	br    *bufio.Reader
	local string

	callID, fromTag, contactUser string
	cseq                         uint32
	credHeader                   string
	form                         httpauth.BearerForm
	authed                       bool
}

// Register registers reg, makes reg.Refreshes re-registrations before
// expiry, and unregisters (Expires: 0) whatever it registered before it
// returns, even when ctx is done or a step failed. The Result is always
// filled; the error wraps one of the ErrXxx values, sipreg.ErrMalformed,
// sipreg.ErrDigestOnly or sipreg.ErrNoBearer.
func (c *Client) Register(ctx context.Context, reg Registration) (*Result, error) {
	s, err := c.newSession(reg)
	if err != nil {
		return s.res, err
	}
	defer s.close()
	err = s.run(ctx)
	if s.res.Registered {
		uerr := s.unregister(ctx)
		if uerr != nil {
			err = errors.Join(err, uerr)
			if s.res.Reason != "" && !strings.Contains(s.res.Reason, uerr.Error()) {
				s.res.Reason += "; " + uerr.Error()
			}
		}
	}
	if err != nil && s.res.Reason == "" {
		s.res.Reason = err.Error()
	}
	return s.res, err
}

func (c *Client) newSession(reg Registration) (*session, error) {
	res := &Result{Registrar: reg.Registrar}
	fail := func(format string, args ...any) (*session, error) {
		err := fmt.Errorf("softphone: registration: "+format, args...)
		res.Reason = err.Error()
		return &session{res: res}, err
	}
	host, _, err := net.SplitHostPort(reg.Registrar)
	if err != nil || host == "" {
		return fail("registrar %q is not host:port", reg.Registrar)
	}
	if reg.Domain == "" {
		reg.Domain = host
	}
	if reg.User == "" || strings.ContainsAny(reg.User, "@:;<> \"") {
		return fail("bad user %q", reg.User)
	}
	if reg.DeviceName == "" {
		if reg.Device == "" {
			return fail("no device type or name")
		}
		reg.DeviceName = reg.Device.DeviceName(reg.User)
	}
	if reg.Device == "" {
		t, ok := sipreg.DeviceTypeOf(reg.DeviceName)
		if !ok {
			return fail("device %q: unknown type", reg.DeviceName)
		}
		reg.Device = t
	}
	if reg.Tokens == nil {
		return fail("no token source")
	}
	if reg.Expires <= 0 {
		reg.Expires = time.Hour
	}
	if reg.Instance == "" {
		reg.Instance = instanceOf(reg.DeviceName)
	}
	res.AOR = "sip:" + reg.User + "@" + reg.Domain
	res.DeviceName = reg.DeviceName
	s := &session{
		cfg: &c.cfg, reg: reg, res: res, host: host,
		callID:      sipreg.RandomHex(8) + "-" + sipreg.RandomHex(4),
		fromTag:     sipreg.RandomHex(6),
		contactUser: instanceOf("contact:" + reg.DeviceName),
		cseq:        100,
	}
	return s, nil
}

// instanceOf makes a stable UUID-shaped string from a name.
func instanceOf(name string) string {
	h := sha256.Sum256([]byte(name))
	x := fmt.Sprintf("%x", h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func (s *session) close() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

func (s *session) run(ctx context.Context) error {
	r := s.res
	expires := int(s.reg.Expires / time.Second)
	resp, err := s.transact(ctx, s.register(expires, ""))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == 200:
		s.bound(resp, expires)
		return s.failf(ErrNoChallenge, "want 401/407 to a REGISTER without credentials, got %s from %s", status(resp), s.reg.Registrar)
	case resp.StatusCode == 401 || resp.StatusCode == 407:
	default:
		return s.refused(resp, "401/407", "REGISTER without credentials")
	}
	ch, err := sipreg.ParseChallenge(resp)
	r.Challenge = &ch
	if err != nil {
		return s.failf(err, "challenge from %s: %v", s.reg.Registrar, err)
	}
	if s.reg.ExpectRealm != "" && ch.Realm != s.reg.ExpectRealm {
		return s.failf(ErrWrongRealm, "want Bearer realm %q, got %q from %s", s.reg.ExpectRealm, ch.Realm, s.reg.Registrar)
	}
	if ch.AuthzServer != "" && !s.trusted(ch.AuthzServer) {
		return s.failf(ErrUntrusted, "authz_server %q from %s is not trusted (RFC 8898 §2.1.1); no token sent", ch.AuthzServer, s.reg.Registrar)
	}
	s.credHeader = ch.CredentialsHeader()
	switch s.reg.Form {
	case FormUCM:
		s.form = httpauth.FormUCM
	case FormRFC6750:
		s.form = httpauth.FormRFC6750
	default:
		s.form = httpauth.FormRFC6750
		if ch.Status == 407 && ch.UCMStyle() {
			s.form = httpauth.FormUCM
		}
	}
	tok, err := s.reg.Tokens(ctx, false)
	if err != nil {
		return s.failf(err, "token source: %v", err)
	}
	s.token, s.authed = tok, true

	resp, err = s.authedRegister(ctx, expires)
	if err != nil {
		return err
	}
	r.Status = resp.StatusCode
	if resp.StatusCode != 200 {
		return s.refused(resp, "200", "REGISTER with a bearer token")
	}
	granted := s.bound(resp, expires)
	r.Reason = fmt.Sprintf("registered %s as %s at %s for %v", s.reg.DeviceName, r.AOR, s.reg.Registrar, granted)

	for i := 0; i < s.reg.Refreshes; i++ {
		due := max(granted-s.cfg.delta, granted/2)
		if err := s.cfg.wait(ctx, due); err != nil {
			return s.failf(err, "waiting %v for re-registration %d: %v", due, i+1, err)
		}
		resp, err := s.authedRegister(ctx, expires)
		if err != nil {
			return err
		}
		ref := Refresh{Status: resp.StatusCode}
		if resp.StatusCode == 200 {
			c, _ := s.ours(resp)
			ref.Granted = s.granted(resp, c, expires)
			ref.Kept = c == nil || !c.Has(sipreg.ParamNewReg)
			granted = ref.Granted
		}
		r.Refreshes = append(r.Refreshes, ref)
		if resp.StatusCode != 200 {
			r.Status = resp.StatusCode
			return s.failf(ErrRefresh, "want 200 to re-registration %d, got %s%s from %s", i+1, status(resp), warningOf(resp), s.reg.Registrar)
		}
	}
	if s.reg.Refreshes > 0 {
		r.Reason += fmt.Sprintf(", re-registered %d×", s.reg.Refreshes)
	}
	return nil
}

// authedRegister sends REGISTER with the token and, if the registrar
// refuses the token (invalid_token), refreshes it once and tries again.
func (s *session) authedRegister(ctx context.Context, expires int) (*sipreg.Message, error) {
	resp, err := s.transact(ctx, s.register(expires, s.token))
	if err != nil {
		return nil, err
	}
	if !tokenRefused(resp) {
		return resp, nil
	}
	why := refusal(resp)
	if ch, err := sipreg.ParseChallenge(resp); err == nil {
		s.res.Refusal = &ch
	}
	tok, terr := s.reg.Tokens(ctx, true)
	if terr != nil {
		s.res.Status = resp.StatusCode
		return nil, s.failf(ErrTokenRejected, "token refused by %s (%s); refresh failed: %v", s.reg.Registrar, why, terr)
	}
	s.token = tok
	s.res.TokenRefreshed = true
	resp, err = s.transact(ctx, s.register(expires, s.token))
	if err != nil {
		return nil, err
	}
	if tokenRefused(resp) {
		s.res.Status = resp.StatusCode
		if ch, err := sipreg.ParseChallenge(resp); err == nil {
			s.res.Refusal = &ch
		}
		return nil, s.failf(ErrTokenRejected, "refreshed token refused too by %s (%s)", s.reg.Registrar, refusal(resp))
	}
	return resp, nil
}

// tokenRefused is a 401/407 answering a request that carried a token.
func tokenRefused(m *sipreg.Message) bool { return m.StatusCode == 401 || m.StatusCode == 407 }

func refusal(m *sipreg.Message) string {
	ch, err := sipreg.ParseChallenge(m)
	if err != nil {
		return status(m) + ": " + err.Error()
	}
	if ch.Error == "" {
		return status(m) + " again"
	}
	s := status(m) + " error=" + strconv.Quote(ch.Error)
	if ch.ErrorDescription != "" {
		s += " (" + ch.ErrorDescription + ")"
	}
	return s
}

func status(m *sipreg.Message) string { return strconv.Itoa(m.StatusCode) + " " + m.Reason }

func warningOf(m *sipreg.Message) string {
	if w := m.Get("Warning"); w != "" {
		return " (Warning: " + w + ")"
	}
	return ""
}

// refused turns a final non-200 into the error that names it.
func (s *session) refused(resp *sipreg.Message, want, what string) error {
	s.res.Status = resp.StatusCode
	s.res.Warning = resp.Get("Warning")
	base := ErrRejected
	if resp.StatusCode == 401 || resp.StatusCode == 407 {
		base = ErrTokenRejected
	}
	if resp.StatusCode == 403 && strings.Contains(strings.ToLower(s.res.Warning), "port mismatch") {
		base = ErrPortMismatch
	}
	extra := warningOf(resp)
	if ra := resp.Get("Retry-After"); ra != "" {
		extra += " (Retry-After: " + ra + ")"
	}
	return s.failf(base, "want %s to %s, got %s%s from %s", want, what, status(resp), extra, s.reg.Registrar)
}

// failf records the reason and returns an error wrapping base whose
// text is the reason (prefixed by base when base is one of our sentinels).
func (s *session) failf(base error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	s.res.Reason = msg
	if be, ok := base.(sipreg.Sentinel); ok {
		msg = string(be) + ": " + msg
	}
	return &failure{msg: msg, err: base}
}

// failure is an error with a reason of its own that still matches its
// cause with errors.Is.
type failure struct {
	msg string
	err error
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() error { return f.err }

func (s *session) trusted(url string) bool {
	for _, t := range s.cfg.trusted {
		if t == url {
			return true
		}
	}
	return false
}

// bound notes a 200 that bound the contact.
func (s *session) bound(resp *sipreg.Message, asked int) time.Duration {
	r := s.res
	c, listed := s.ours(resp)
	r.Registered, r.Listed = true, listed
	r.Status = 200
	r.NewRegistration = c != nil && c.Has(sipreg.ParamNewReg)
	r.Granted = s.granted(resp, c, asked)
	return r.Granted
}

// ours finds our contact among those a 200 lists.
func (s *session) ours(resp *sipreg.Message) (*sipreg.Contact, bool) {
	for _, v := range resp.Values("Contact") {
		cs, err := sipreg.ParseContacts(v)
		if err != nil {
			continue
		}
		for i := range cs {
			if cs[i].Instance() == "urn:uuid:"+s.reg.Instance || cs[i].URI.User == s.contactUser {
				return &cs[i], true
			}
		}
	}
	return nil, false
}

func (s *session) granted(resp *sipreg.Message, c *sipreg.Contact, asked int) time.Duration {
	if c != nil {
		if n, ok := c.Expires(); ok {
			return time.Duration(n) * time.Second
		}
	}
	if n, err := strconv.Atoi(resp.Get("Expires")); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return time.Duration(asked) * time.Second
}

// unregister removes the binding with Expires: 0, with a fresh bounded
// context so a cancelled ctx still cleans up.
func (s *session) unregister(ctx context.Context) error {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.cfg.timeout)
	defer cancel()
	var resp *sipreg.Message
	var err error
	if s.authed {
		resp, err = s.authedRegister(uctx, 0)
	} else {
		resp, err = s.transact(uctx, s.register(0, ""))
	}
	if err != nil {
		return fmt.Errorf("%w: unregister: %w", ErrBindingLeft, err)
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%w: want 200 to Expires: 0, got %s%s from %s", ErrBindingLeft, status(resp), warningOf(resp), s.reg.Registrar)
	}
	if _, listed := s.ours(resp); listed {
		return fmt.Errorf("%w: 200 to Expires: 0 from %s still lists %s", ErrBindingLeft, s.reg.Registrar, s.reg.DeviceName)
	}
	s.res.Unregistered = true
	if s.res.Reason != "" {
		s.res.Reason += ", unregistered"
	}
	return nil
}

// register builds a REGISTER like Jabber's (Cisco TN215572 sample).
func (s *session) register(expires int, token string) *sipreg.Message {
	s.cseq++
	d := s.reg.Domain
	local := s.local
	if local == "" {
		local = "client.invalid"
	}
	m := &sipreg.Message{Method: "REGISTER", RequestURI: "sip:" + d + ";transport=tls"}
	m.Add("Via", "SIP/2.0/TLS "+local+";branch=z9hG4bK"+sipreg.RandomHex(8))
	m.Add("From", "<sip:"+s.reg.User+"@"+d+">;tag="+s.fromTag)
	m.Add("To", "<sip:"+s.reg.User+"@"+d+">")
	m.Add("Call-ID", s.callID+"@"+hostOnly(local))
	m.Add("Max-Forwards", "70")
	m.Add("Date", s.cfg.clock().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
	m.Add("CSeq", strconv.FormatUint(uint64(s.cseq), 10)+" REGISTER")
	m.Add("User-Agent", s.reg.Device.UserAgent())
	c := sipreg.Contact{RawURI: "sip:" + s.contactUser + "@" + local + ";transport=tls", Params: []sipreg.Param{
		{Name: sipreg.ParamInstance, Value: "<urn:uuid:" + s.reg.Instance + ">", Quoted: true, HasValue: true},
		{Name: sipreg.ParamDeviceName, Value: s.reg.DeviceName, Quoted: true, HasValue: true},
		{Name: sipreg.ParamModel, Value: s.reg.Device.Model(), Quoted: true, HasValue: true},
		{Name: "video"},
	}}
	m.Add("Contact", c.String())
	m.Add("Supported", "replaces,join,X-cisco-config,X-cisco-graceful-reg,X-cisco-duplicate-reg")
	if token != "" {
		m.Add(s.credHeader, sipreg.Credentials(token, s.form))
	}
	m.Add("Expires", strconv.Itoa(expires))
	m.SetBody(nil)
	return m
}

func hostOnly(hp string) string {
	h, _, err := net.SplitHostPort(hp)
	if err != nil {
		return hp
	}
	return h
}

func (s *session) note(sent bool, m *sipreg.Message) {
	if len(s.res.Exchanges) >= maxExchanges {
		s.res.Dropped++
		return
	}
	s.res.Exchanges = append(s.res.Exchanges, Exchange{Sent: sent, At: s.cfg.clock(), Text: m.Redacted()})
}

// connect dials and handshakes within the timeout.
func (s *session) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	raw, err := s.cfg.dial(ctx, "tcp", s.reg.Registrar)
	if err != nil {
		return s.failf(err, "dial %s: %v", s.reg.Registrar, err)
	}
	tc := s.cfg.tls.Clone()
	if tc.ServerName == "" {
		tc.ServerName = s.host
	}
	conn := tls.Client(raw, tc)
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		if ctx.Err() != nil {
			return s.failf(ErrTimeout, "TLS handshake with %s: no answer within %v", s.reg.Registrar, s.cfg.timeout)
		}
		return s.failf(ErrTLS, "TLS handshake with %s (%s): %s", s.reg.Registrar, tc.ServerName, tlsReason(err))
	}
	st := conn.ConnectionState()
	s.res.TLS = &TLSInfo{Version: st.Version, ServerName: tc.ServerName, PeerCerts: st.PeerCertificates}
	s.conn, s.br = conn, bufio.NewReader(conn)
	s.local = "client.invalid"
	if ta, ok := raw.LocalAddr().(*net.TCPAddr); ok {
		s.local = ta.String()
	}
	return nil
}

// tlsReason names what a check cares about in a handshake failure.
func tlsReason(err error) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var ae tls.AlertError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ua):
		return "certificate not signed by a trusted CA: " + err.Error()
	case errors.As(err, &he):
		return "certificate SAN does not match: " + err.Error()
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "certificate expired or not yet valid: " + err.Error()
	case errors.As(err, &ae) && ae == tls.AlertError(70):
		return "protocol version refused (TLS 1.2 or higher required): " + err.Error()
	case errors.As(err, &ve):
		return "certificate not accepted: " + err.Error()
	case strings.Contains(err.Error(), "protocol version"):
		return "protocol version refused (TLS 1.2 or higher required): " + err.Error()
	}
	return err.Error()
}

// transact sends req and waits for its final response, within the
// timeout whatever provisional responses arrive. One redial is made when
// the connection turns out closed before anything was read.
func (s *session) transact(ctx context.Context, req *sipreg.Message) (*sipreg.Message, error) {
	for attempt := 0; ; attempt++ {
		if s.conn == nil {
			if err := s.connect(ctx); err != nil {
				return nil, err
			}
			// The Via and Contact carry the new local address.
			s.cseq--
			req = s.rebuild(req)
		}
		resp, retry, err := s.exchange(ctx, req)
		if err == nil || !retry || attempt > 0 {
			return resp, err
		}
		s.close()
	}
}

// rebuild redoes a request after (re)connecting, with the same expires
// and credentials.
func (s *session) rebuild(req *sipreg.Message) *sipreg.Message {
	exp, _ := strconv.Atoi(req.Get("Expires"))
	tok := ""
	if req.Get(s.credHeader) != "" && s.credHeader != "" {
		tok = s.token
	}
	return s.register(exp, tok)
}

func (s *session) exchange(ctx context.Context, req *sipreg.Message) (*sipreg.Message, bool, error) {
	deadline := time.Now().Add(s.cfg.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = s.conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	s.note(true, req)
	if _, err := s.conn.Write(req.Bytes()); err != nil {
		return nil, true, s.failf(ErrClosed, "write REGISTER to %s: %v", s.reg.Registrar, err)
	}
	wantSeq, _, _ := req.CSeq()
	provisional, read := 0, 0
	for {
		m, err := sipreg.ReadMessage(s.br, s.cfg.limits)
		if err != nil {
			s.close()
			// A connection the registrar had already closed: try once more.
			retry := read == 0 && errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
			return nil, retry, s.readFailure(ctx, err, provisional)
		}
		read++
		if !m.IsResponse() {
			s.note(false, m) // a request from the registrar: not ours to answer here
			continue
		}
		s.note(false, m)
		seq, method, err := m.CSeq()
		if err != nil {
			s.close()
			return nil, false, s.failf(err, "response from %s: %v", s.reg.Registrar, err)
		}
		if seq != wantSeq || method != "REGISTER" || !strings.HasPrefix(m.Get("Call-ID"), s.callID) {
			continue // a stray response
		}
		if m.StatusCode < 200 {
			provisional++
			continue
		}
		return m, false, nil
	}
}

func (s *session) readFailure(ctx context.Context, err error, provisional int) error {
	var ne net.Error
	switch {
	case errors.Is(err, sipreg.ErrMalformed):
		return s.failf(err, "malformed response from %s: %v", s.reg.Registrar, err)
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded), ctx.Err() != nil:
		what := "no response"
		if provisional > 0 {
			what = fmt.Sprintf("only %d provisional responses", provisional)
		}
		return s.failf(ErrTimeout, "want a final response to REGISTER within %v, got %s from %s", s.cfg.timeout, what, s.reg.Registrar)
	case strings.Contains(err.Error(), "remote error: tls:"):
		// TLS 1.3: the registrar judges our client certificate after our
		// side of the handshake is done, and says so with an alert.
		return s.failf(ErrTLS, "%s refused the TLS session: %v", s.reg.Registrar, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return s.failf(ErrClosed, "%s closed the connection without a final response", s.reg.Registrar)
	}
	return s.failf(ErrClosed, "read from %s: %v", s.reg.Registrar, err)
}
