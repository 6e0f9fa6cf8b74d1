// Package webexid fakes just enough of the Webex identity service to be a
// second SAML SP on the organisation's IdP: the Webex App's sign-in
// starts here, goes to the IdP, and comes back to the app's callback, so
// the client journey can observe whether the later UCM sign-in reuses
// the IdP session (one prompt) or not. See README.md.
package webexid

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/idp"
)

const (
	// PathPrefix is the path prefix the handler owns.
	PathPrefix = "/idb/"
	// LoginPath starts a sign-in: GET /idb/login?email=E.
	LoginPath = "/idb/login"
	// MetadataPath serves the SP metadata.
	MetadataPath = "/idb/metadata"
	// PasswordPath takes Webex's own password form (SSODisabled).
	PasswordPath = "/idb/password"
	// DefaultCallback is where a finished sign-in sends the app.
	DefaultCallback = "cutover-webex://signed-in"

	maxForm = 64 << 10

	// ErrUnexpected is returned by Close for requests the fake does not
	// serve.
	ErrUnexpected = httpx.Sentinel("webexid: unexpected requests")
)

// Option configures a Server; errors surface from New.
type Option func(*config) error

// User is a Webex identity; Password only for SSODisabled.
type User struct {
	Email, Password string
}

type config struct {
	base     *url.URL
	org      string
	clock    func() time.Time
	idpMD    []byte
	users    []User
	callback string
	ssoOff   bool
	status   []httpx.StatusRule
}

// WithBaseURL sets the identity service URL; default
// https://idbroker.example.com.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("bad base URL %q", base)
		}
		u.Path = ""
		c.base = u
		return nil
	}
}

// WithOrgID sets the Webex organisation ID in the SP's URLs; default
// "example-org".
func WithOrgID(id string) Option {
	return func(c *config) error {
		if id == "" || strings.ContainsAny(id, "/?#") {
			return fmt.Errorf("bad org ID %q", id)
		}
		c.org = id
		return nil
	}
}

// WithClock sets the time source; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithIdPMetadata sets the IdP the org's SSO uses; required unless
// SSODisabled. Giving another IdP than UCM's is the "two IdPs" site.
func WithIdPMetadata(md []byte) Option {
	return func(c *config) error {
		if len(md) == 0 {
			return errors.New("empty IdP metadata")
		}
		c.idpMD = append([]byte(nil), md...)
		return nil
	}
}

// WithUsers adds Webex identities; NameIDs map to them by email.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		for _, u := range users {
			if !strings.Contains(u.Email, "@") {
				return fmt.Errorf("bad email %q", u.Email)
			}
		}
		c.users = append(c.users, users...)
		return nil
	}
}

// WithCallback sets where a finished sign-in redirects; default
// DefaultCallback.
func WithCallback(uri string) Option {
	return func(c *config) error {
		if _, err := url.Parse(uri); err != nil || uri == "" {
			return fmt.Errorf("bad callback %q", uri)
		}
		c.callback = uri
		return nil
	}
}

// SSODisabled is a fault: the org has no SSO, Webex asks for its own
// password (a prompt that is not the IdP's, so UCM's SSO cannot reuse it).
func SSODisabled() Option {
	return func(c *config) error { c.ssoOff = true; return nil }
}

// WithStatus is a fault: any path starting with pathPrefix answers code.
func WithStatus(pathPrefix string, code int) Option {
	return func(c *config) error {
		if code < 100 || code > 599 || !strings.HasPrefix(pathPrefix, "/") {
			return fmt.Errorf("bad status rule %q %d", pathPrefix, code)
		}
		c.status = append(c.status, httpx.StatusRule{Prefix: pathPrefix, Code: code})
		return nil
	}
}

type pending struct {
	requestID string
	expires   time.Time
}

// Server is the Webex identity fake: an http.Handler owning PathPrefix.
type Server struct {
	cfg config
	sp  *idp.ServiceProvider
	rec httpx.Recorder

	mu      sync.Mutex
	pending map[string]pending
	signins map[string]int
}

// New builds the fake; it does not listen.
func New(opts ...Option) (*Server, error) {
	u, _ := url.Parse("https://idbroker.example.com")
	cfg := config{base: u, org: "example-org", clock: time.Now, callback: DefaultCallback}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("webexid: option: %w", err)
		}
	}
	s := &Server{cfg: cfg, pending: map[string]pending{}, signins: map[string]int{}}
	if !cfg.ssoOff {
		if cfg.idpMD == nil {
			return nil, errors.New("webexid: option: WithIdPMetadata is required unless SSODisabled")
		}
		sp, err := idp.NewServiceProvider(idp.SPConfig{EntityID: s.EntityID(), ACSURL: s.ACSURL(), IdPMetadata: cfg.idpMD, Clock: cfg.clock})
		if err != nil {
			return nil, fmt.Errorf("webexid: %w", err)
		}
		s.sp = sp
	}
	return s, nil
}

func (s *Server) url(path string) string {
	u := *s.cfg.base
	u.Path = path
	return u.String()
}

// EntityID is the SP entity ID, <base>/<org>.
func (s *Server) EntityID() string { return s.url("/" + s.cfg.org) }

// ACSURL is <base>/idb/Consumer/metaAlias/<org>/sp.
func (s *Server) ACSURL() string { return s.url(s.acsPath()) }

func (s *Server) acsPath() string { return "/idb/Consumer/metaAlias/" + s.cfg.org + "/sp" }

// SPMetadata is what the IdP needs to trust Webex.
func (s *Server) SPMetadata() []byte { return idp.SPMetadata(s.EntityID(), s.ACSURL()) }

// StartURL is the sign-in start for email.
func (s *Server) StartURL(email string) string {
	return s.url(LoginPath) + "?" + url.Values{"email": {email}}.Encode()
}

// SignIns returns how many sign-ins completed for email.
func (s *Server) SignIns(email string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signins[strings.ToLower(email)]
}

// Close reports ErrUnexpected for requests the fake does not serve.
func (s *Server) Close() error { return s.rec.Err(ErrUnexpected) }

// Received returns a copy of the requests so far.
func (s *Server) Received() []httpx.Request { return s.rec.Received() }

// ServeHTTP routes /idb/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	if code, ok := httpx.MatchStatus(s.cfg.status, r.URL.Path); ok {
		http.Error(w, http.StatusText(code), code)
		return
	}
	switch {
	case r.URL.Path == LoginPath && r.Method == http.MethodGet:
		s.start(w, r)
	case r.URL.Path == PasswordPath && r.Method == http.MethodPost && s.cfg.ssoOff:
		s.password(w, r)
	case r.URL.Path == s.acsPath() && r.Method == http.MethodPost && s.sp != nil:
		s.acs(w, r)
	case r.URL.Path == MetadataPath && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(s.SPMetadata())
	default:
		s.rec.Unexpected(r)
		http.NotFound(w, r)
	}
}

var passwordPage = template.Must(template.New("pw").Parse(`<!DOCTYPE html>
<html><head><title>Webex - Sign in</title></head><body>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="post" action="` + PasswordPath + `">
<input type="email" name="email" value="{{.Email}}">
<input type="password" name="password">
<button type="submit">Sign In</button></form></body></html>
`))

func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if s.cfg.ssoOff {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = passwordPage.Execute(w, struct{ Email, Error string }{email, ""})
		return
	}
	id := randomID()
	u, reqID, err := s.sp.AuthnRequest(id)
	if err != nil {
		http.Error(w, "webexid: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.pending[id] = pending{requestID: reqID, expires: s.cfg.clock().Add(10 * time.Minute)}
	s.mu.Unlock()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) password(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "webexid: bad form", http.StatusBadRequest)
		return
	}
	email, pass := r.PostForm.Get("email"), r.PostForm.Get("password")
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Email, email) && u.Password != "" && subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1 {
			s.done(w, r, u.Email)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = passwordPage.Execute(w, struct{ Email, Error string }{email, "Incorrect email or password."})
}

func (s *Server) acs(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxResponse+maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "webexid: bad ACS form", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("RelayState")
	s.mu.Lock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if !ok || !s.cfg.clock().Before(p.expires) {
		http.Error(w, "webexid: unknown or expired sign-in", http.StatusBadRequest)
		return
	}
	a, err := s.sp.Verify(r.PostForm.Get("SAMLResponse"), p.requestID)
	if err != nil {
		http.Error(w, "webexid: SAML sign-in refused: "+err.Error(), http.StatusForbidden)
		return
	}
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Email, a.NameID) || strings.EqualFold(u.Email, a.Attr("mail")) {
			s.done(w, r, u.Email)
			return
		}
	}
	http.Error(w, fmt.Sprintf("webexid: SAML sign-in refused: %q is not a Webex user of the org", a.NameID), http.StatusForbidden)
}

func (s *Server) done(w http.ResponseWriter, r *http.Request, email string) {
	s.mu.Lock()
	s.signins[strings.ToLower(email)]++
	s.mu.Unlock()
	u, _ := url.Parse(s.cfg.callback)
	q := u.Query()
	q.Set("email", email)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
