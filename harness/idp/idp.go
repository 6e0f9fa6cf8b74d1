// Package idp fakes a SAML 2.0 identity provider (HTTP-Redirect binding
// in, HTTP-POST binding out, signed assertions, metadata, its own login
// form and session cookie) on crewjam/saml, and holds the SP role both
// SP fakes (UCM, Webex) and the SSO checks use to verify what an IdP
// sends: ServiceProvider, ParseMetadata, CheckCertificates. See README.md.
package idp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"example.com/cutover/harness/httpx"
)

const (
	// PathPrefix is the path prefix the handler owns.
	PathPrefix = "/idp/"
	// MetadataPath, SSOPath and LoginPath are the IdP's endpoints.
	MetadataPath = "/idp/metadata"
	SSOPath      = "/idp/sso"
	LoginPath    = "/idp/login"
	// SessionCookie is the IdP session cookie's name.
	SessionCookie = "IDPSESSION"

	// WrongAudienceURI is the Audience the WrongAudience fault writes.
	WrongAudienceURI = "https://wrong-audience.example.net/sp"
	// WrongACSURL is the Recipient and Destination of WrongRecipient.
	WrongACSURL = "https://wrong-acs.example.net/saml/acs"

	// maxForm caps a login form post.
	maxForm = 64 << 10

	// ErrUnexpected is returned by Close when the fake saw requests it does
	// not implement.
	ErrUnexpected = httpx.Sentinel("idp: unexpected requests")
)

// Request is one request the fake received (no credentials or cookies).
type Request = httpx.Request

type session struct {
	user    User
	created time.Time
	expires time.Time
	index   string
	used    bool // NoSessionReuse: honoured once, right after the login
}

// Server is the IdP fake: an http.Handler owning PathPrefix.
type Server struct {
	cfg   config
	idp   *saml.IdentityProvider
	key   SigningKey
	other *SigningKey
	rec   httpx.Recorder
	http  *httpx.Serving

	mu       sync.Mutex
	sps      map[string]*saml.EntityDescriptor
	sessions map[string]session
	logins   int
	failures int
}

// New builds the IdP fake; it does not listen. Mount it on PathPrefix.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("idp: option: %w", err)
		}
	}
	return newServer(cfg)
}

// Start is New plus a TLS listener on WithAddr (default 127.0.0.1:0), for
// standalone tests; WithCertificate is required.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	if err := httpx.Configure(ctx, "idp", &cfg, opts); err != nil {
		return nil, err
	}
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	hs, err := httpx.ServeTLS(cfg.Addr, *cfg.Cert, s)
	if err != nil {
		return nil, fmt.Errorf("idp: listen: %w", err)
	}
	s.http = hs
	return s, nil
}

func newServer(cfg config) (*Server, error) {
	now := cfg.clock()
	key := cfg.key
	if key == nil {
		k, err := NewSigningKey(cfg.Hostname, now.Add(-time.Hour), now.AddDate(1, 0, 0))
		if err != nil {
			return nil, err
		}
		key = &k
	}
	var err error
	eff := *key
	switch {
	case cfg.certExpired:
		eff, err = key.Reissue(now.AddDate(-1, 0, -1), now.Add(-24*time.Hour))
	case cfg.certExpiresIn > 0:
		eff, err = key.Reissue(now.AddDate(0, 0, -60), now.Add(cfg.certExpiresIn))
	}
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, key: eff, sps: map[string]*saml.EntityDescriptor{}, sessions: map[string]session{}}
	if cfg.otherKey {
		o, err := NewSigningKey(cfg.Hostname, now.Add(-time.Hour), now.AddDate(1, 0, 0))
		if err != nil {
			return nil, err
		}
		s.other = &o
	}
	for _, md := range cfg.sps {
		if err := s.AddServiceProvider(md); err != nil {
			return nil, err
		}
	}
	meta := *cfg.base
	meta.Path = MetadataPath
	sso := *cfg.base
	sso.Path = SSOPath
	s.idp = &saml.IdentityProvider{
		Key:                     eff.Key,
		Certificate:             eff.Cert,
		Logger:                  log.New(io.Discard, "", 0),
		MetadataURL:             meta,
		SSOURL:                  sso,
		ServiceProviderProvider: spProvider{s},
		SessionProvider:         sessionProvider{s},
		AssertionMaker:          assertionMaker{s},
		ResponseWriter:          responseWriter{s},
		Clock:                   DSigClock(cfg.clock),
		NameIDFormats:           []saml.NameIDFormat{saml.EmailAddressNameIDFormat, saml.UnspecifiedNameIDFormat},
		OnError: func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			http.Error(w, "idp: "+err.Error(), status)
		},
	}
	return s, nil
}

// AddServiceProvider trusts one more SP by its metadata (for SPs whose
// metadata is known only once they run, like SimpleSAMLphp's).
func (s *Server) AddServiceProvider(metadata []byte) error {
	ed, err := parseEntity(metadata)
	if err != nil {
		return fmt.Errorf("idp: service provider: %w", err)
	}
	if len(ed.SPSSODescriptors) == 0 {
		return fmt.Errorf("idp: service provider: %w: %s has no SPSSODescriptor", ErrMetadata, ed.EntityID)
	}
	s.mu.Lock()
	s.sps[ed.EntityID] = ed
	s.mu.Unlock()
	return nil
}

// EntityID is the IdP's entity ID, <base>/idp/metadata.
func (s *Server) EntityID() string { return s.idp.MetadataURL.String() }

// SSOURL is where AuthnRequests go.
func (s *Server) SSOURL() string { return s.idp.SSOURL.String() }

// Certificate is the signing certificate the metadata publishes.
func (s *Server) Certificate() SigningKey { return s.key }

// Metadata returns the IdP metadata document as served.
func (s *Server) Metadata() ([]byte, error) {
	b, err := xmlMarshal(s.idp.Metadata())
	if err != nil {
		return nil, fmt.Errorf("idp: metadata: %w", err)
	}
	return b, nil
}

// Counts returns how many sign-ins succeeded and failed (wrong password).
func (s *Server) Counts() (logins, failures int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins, s.failures
}

// Addr is the bound address of Start ("" for New).
func (s *Server) Addr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Addr()
}

// Close stops Start's listener (if any); it is idempotent. It reports
// ErrUnexpected for requests the IdP does not serve.
func (s *Server) Close() error {
	if s.http != nil {
		if err := s.http.Close(); err != nil {
			return fmt.Errorf("idp: close: %w", err)
		}
	}
	return s.rec.Err(ErrUnexpected)
}

// Received returns a copy of the requests so far, oldest first.
func (s *Server) Received() []Request { return s.rec.Received() }

// ServeHTTP routes /idp/metadata, /idp/sso (GET Redirect binding, POST
// binding) and /idp/login (POST of the login form).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	if code, ok := httpx.MatchStatus(s.cfg.statusRules, r.URL.Path); ok {
		http.Error(w, http.StatusText(code), code)
		return
	}
	switch {
	case r.URL.Path == MetadataPath && r.Method == http.MethodGet:
		s.idp.ServeMetadata(w, r)
	case r.URL.Path == SSOPath && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		s.idp.ServeSSO(w, r)
	case r.URL.Path == LoginPath && r.Method == http.MethodPost:
		s.login(w, r)
	default:
		s.rec.Unexpected(r)
		http.NotFound(w, r)
	}
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><title>Example IdP - Sign in</title></head>
<body><h1>Sign in to {{.Host}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="` + LoginPath + `">
<input type="hidden" name="request" value="{{.Request}}">
<label>Username <input type="text" name="` + UsernameField + `" value="{{.Username}}" autocomplete="username"></label>
<label>Password <input type="password" name="` + PasswordField + `" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form></body></html>
`))

func (s *Server) showLogin(w http.ResponseWriter, request, username, errMsg string, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, struct{ Host, Request, Username, Error string }{s.cfg.Hostname, request, username, errMsg})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "idp: bad login form", http.StatusBadRequest)
		return
	}
	request := r.PostForm.Get("request")
	q, err := url.ParseQuery(request)
	if err != nil || q.Get("SAMLRequest") == "" {
		http.Error(w, "idp: login without an authentication request", http.StatusBadRequest)
		return
	}
	name, pass := r.PostForm.Get(UsernameField), r.PostForm.Get(PasswordField)
	u, ok := s.check(name, pass)
	if !ok {
		s.mu.Lock()
		s.failures++
		s.mu.Unlock()
		s.showLogin(w, request, name, "Incorrect username or password.", http.StatusOK)
		return
	}
	now := s.cfg.clock()
	id := randomHex(32)
	s.mu.Lock()
	s.logins++
	s.sessions[id] = session{user: u, created: now, expires: now.Add(s.cfg.sessionTTL), index: randomHex(8)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: PathPrefix, HttpOnly: true,
		Secure: s.cfg.base.Scheme == "https", SameSite: http.SameSiteNoneMode,
	})
	http.Redirect(w, r, SSOPath+"?"+request, http.StatusSeeOther)
}

func (s *Server) check(name, pass string) (User, bool) {
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Username, name) || (u.Email != "" && strings.EqualFold(u.Email, name)) {
			return u, subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1
		}
	}
	return User{}, false
}

func (s *Server) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.sessions[c.Value]
	if !ok || !s.cfg.clock().Before(se.expires) || (s.cfg.noReuse && se.used) {
		return session{}, false
	}
	se.used = true
	s.sessions[c.Value] = se
	return se, true
}

type spProvider struct{ s *Server }

func (p spProvider) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	ed, ok := p.s.sps[id]
	if !ok {
		return nil, os.ErrNotExist
	}
	return ed, nil
}

type sessionProvider struct{ s *Server }

func (p sessionProvider) GetSession(w http.ResponseWriter, r *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	se, ok := p.s.session(r)
	if !ok {
		request := r.URL.RawQuery
		if r.Method == http.MethodPost {
			request = url.Values{"SAMLRequest": {r.PostForm.Get("SAMLRequest")}, "RelayState": {r.PostForm.Get("RelayState")}}.Encode()
		}
		p.s.showLogin(w, request, "", "", http.StatusOK)
		return nil
	}
	u := se.user
	out := &saml.Session{
		ID: randomHex(16), CreateTime: se.created, ExpireTime: se.expires, Index: se.index,
		UserName: u.Username, UserEmail: u.Email,
	}
	switch {
	case p.s.cfg.wrongNameID:
		out.NameID, out.NameIDFormat = "emp-"+strings.ToLower(u.Username), string(saml.UnspecifiedNameIDFormat)
		out.UserName, out.UserEmail = out.NameID, out.NameID+"@wrong.example.net"
	case p.s.cfg.nameID == NameIDUsername || u.Email == "":
		out.NameID, out.NameIDFormat = u.Username, string(saml.UnspecifiedNameIDFormat)
	default:
		out.NameID, out.NameIDFormat = u.Email, string(saml.EmailAddressNameIDFormat)
	}
	return out
}

type assertionMaker struct{ s *Server }

func (m assertionMaker) MakeAssertion(req *saml.IdpAuthnRequest, se *saml.Session) error {
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, se); err != nil {
		return err
	}
	a := req.Assertion
	var attrs []saml.Attribute
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name != "" {
				attrs = append(attrs, at)
			}
		}
	}
	basic := "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	attrs = append(attrs,
		saml.Attribute{Name: "uid", NameFormat: basic, Values: []saml.AttributeValue{{Type: "xs:string", Value: se.UserName}}},
		saml.Attribute{Name: "mail", NameFormat: basic, Values: []saml.AttributeValue{{Type: "xs:string", Value: se.UserEmail}}})
	a.AttributeStatements = []saml.AttributeStatement{{Attributes: attrs}}
	c := m.s.cfg
	if c.wrongAudience {
		a.Conditions.AudienceRestrictions = []saml.AudienceRestriction{{Audience: saml.Audience{Value: WrongAudienceURI}}}
	}
	for i := range a.Subject.SubjectConfirmations {
		d := a.Subject.SubjectConfirmations[i].SubjectConfirmationData
		if d == nil {
			continue
		}
		if c.wrongRecip {
			d.Recipient = WrongACSURL
		}
		d.NotOnOrAfter = shift(d.NotOnOrAfter, c.skew)
		d.NotBefore = shift(d.NotBefore, c.skew)
	}
	if c.skew != 0 {
		a.IssueInstant = a.IssueInstant.Add(c.skew)
		a.Conditions.NotBefore = shift(a.Conditions.NotBefore, c.skew)
		a.Conditions.NotOnOrAfter = shift(a.Conditions.NotOnOrAfter, c.skew)
		for i := range a.AuthnStatements {
			a.AuthnStatements[i].AuthnInstant = shift(a.AuthnStatements[i].AuthnInstant, c.skew)
		}
	}
	return nil
}

func shift(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}

// responseWriter builds the Response itself (rather than crewjam's
// MakeResponse) so the signing faults can leave it unsigned or sign it
// with another key; the healthy path signs Assertion and Response with
// the metadata key, as MakeResponse does.
type responseWriter struct{ s *Server }

func (rw responseWriter) WriteResponse(w http.ResponseWriter, req *saml.IdpAuthnRequest) error {
	if req.ResponseEl != nil || req.Assertion == nil { // an error Response
		return req.WriteResponse(w)
	}
	c := rw.s.cfg
	var sc *dsig.SigningContext
	if !c.unsigned {
		k := rw.s.key
		if rw.s.other != nil {
			k = *rw.s.other
		}
		var err error
		if sc, err = signingContext(k); err != nil {
			return err
		}
	}
	assertionEl := req.Assertion.Element()
	if sc != nil {
		signed, err := sc.SignEnveloped(assertionEl)
		if err != nil {
			return err
		}
		ch := signed.ChildElements()
		req.Assertion.Signature = ch[len(ch)-1]
		assertionEl = req.Assertion.Element()
	}
	dest := req.ACSEndpoint.Location
	if c.wrongRecip {
		dest = WrongACSURL
	}
	resp := &saml.Response{
		Destination: dest, ID: "id-" + randomHex(20), InResponseTo: req.Request.ID,
		IssueInstant: req.Now.Add(c.skew), Version: "2.0",
		Issuer: &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: rw.s.EntityID()},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
	}
	el := resp.Element()
	el.AddChild(assertionEl)
	if sc != nil {
		signed, err := sc.SignEnveloped(el)
		if err != nil {
			return err
		}
		ch := signed.ChildElements()
		resp.Signature = ch[len(ch)-1]
		el = resp.Element()
		el.AddChild(assertionEl)
	}
	req.AssertionEl, req.ResponseEl = assertionEl, el
	return req.WriteResponse(w)
}

func signingContext(k SigningKey) (*dsig.SigningContext, error) {
	ks := dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{k.Cert.Raw}, PrivateKey: k.Key, Leaf: k.Cert})
	sc := dsig.NewDefaultSigningContext(ks)
	sc.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := sc.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	return sc, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
