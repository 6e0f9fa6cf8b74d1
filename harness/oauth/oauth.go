// Package oauth fakes Unified CM's SAML SSO service provider and its OAuth
// authorization server (/ssosp/: authorize, token with the code and
// refresh_token grants, revoke), issues access and refresh tokens as
// signed JWTs from cluster-wide keys, and exports the token validator UDS,
// the Expressway fake and the SIP registrar use. It also holds the client
// of the token and revoke endpoints and the token inspector the SSO checks
// use against the fake or a lab cluster. See README.md.
package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/idp"
)

const (
	// PathPrefix is the path prefix the handler owns.
	PathPrefix = "/ssosp/"
	// AuthorizePath, TokenPath and RevokePath are the OAuth endpoints.
	AuthorizePath = "/ssosp/oauth/authorize"
	TokenPath     = "/ssosp/oauth/token"
	RevokePath    = "/ssosp/token/revoke"
	// MetadataPath serves the SP metadata; the ACS is ACSPrefix+<host>.
	MetadataPath = "/ssosp/saml/metadata"
	ACSPrefix    = "/ssosp/saml/SSO/alias/"

	// Login form fields of UCM's own (non-SSO) sign-in page.
	UsernameField = "j_username"
	PasswordField = "j_password"

	// codeLifetime bounds an authorization code; pendingLifetime a sign-in.
	codeLifetime    = time.Minute
	pendingLifetime = 10 * time.Minute
	maxForm         = 64 << 10

	// ErrUnexpected is returned by Close for requests the fake does not
	// serve.
	ErrUnexpected = httpx.Sentinel("oauth: unexpected requests")
)

// Request is one request the fake received (no credentials).
type Request = httpx.Request

type pending struct {
	client       App
	redirect     *url.URL
	state        string
	responseType string
	requestID    string
	expires      time.Time
}

type grant struct {
	user, client, redirect string
	expires                time.Time
}

// Server is the UCM SSO + OAuth fake: an http.Handler owning PathPrefix.
type Server struct {
	cfg     config
	cluster *Cluster
	sp      *idp.ServiceProvider
	rec     httpx.Recorder
	http    *httpx.Serving

	mu      sync.Mutex
	pending map[string]pending
	codes   map[string]grant
}

// New builds the fake; it does not listen. Mount it on PathPrefix.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("oauth: option: %w", err)
		}
	}
	return newServer(cfg)
}

// Start is New plus a TLS listener for standalone tests; WithCertificate
// is required.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	if err := httpx.Configure(ctx, "oauth", &cfg, opts); err != nil {
		return nil, err
	}
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	hs, err := httpx.ServeTLS(cfg.Addr, *cfg.Cert, s)
	if err != nil {
		return nil, fmt.Errorf("oauth: listen: %w", err)
	}
	s.http = hs
	return s, nil
}

func newServer(cfg config) (*Server, error) {
	if len(cfg.apps) == 0 {
		cfg.apps = []App{DefaultApp()}
	}
	if cfg.entityID == "" {
		cfg.entityID = cfg.Hostname
	}
	if cfg.cluster == nil {
		cl, err := NewCluster()
		if err != nil {
			return nil, err
		}
		cfg.cluster = cl
	}
	s := &Server{cfg: cfg, cluster: cfg.cluster, pending: map[string]pending{}, codes: map[string]grant{}}
	if !cfg.ssoOff {
		if cfg.idpMetadata == nil {
			return nil, errors.New("oauth: option: WithIdPMetadata is required unless SSODisabled")
		}
		sp, err := idp.NewServiceProvider(idp.SPConfig{
			EntityID: cfg.entityID, ACSURL: s.ACSURL(), IdPMetadata: cfg.idpMetadata, Clock: cfg.clock,
		})
		if err != nil {
			return nil, fmt.Errorf("oauth: %w", err)
		}
		s.sp = sp
	}
	return s, nil
}

// EntityID is UCM's SAML SP entity ID.
func (s *Server) EntityID() string { return s.cfg.entityID }

// ACSURL is UCM's assertion consumer service.
func (s *Server) ACSURL() string { return s.url(ACSPrefix + s.cfg.Hostname) }

// SPMetadata is the metadata an IdP needs to trust this UCM.
func (s *Server) SPMetadata() []byte { return idp.SPMetadata(s.cfg.entityID, s.ACSURL()) }

// Cluster returns the shared keys and token record.
func (s *Server) Cluster() *Cluster { return s.cluster }

// Lifetimes returns the access and refresh token lifetimes in force.
func (s *Server) Lifetimes() (access, refresh time.Duration) { return s.cfg.access, s.cfg.refresh }

func (s *Server) url(path string) string {
	u := *s.cfg.base
	u.Path = path
	return u.String()
}

// Validator returns the access-token validator (see ValidatorFunc),
// honouring the AcceptExpiredTokens and IgnoreRevocation faults.
func (s *Server) Validator() ValidatorFunc {
	return func(tok string, now time.Time) (string, error) {
		cl, err := s.cluster.check(tok, now, checkOpts{kind: "access", acceptExpired: s.cfg.acceptExpired, ignoreRevoked: s.cfg.ignoreRevoke})
		if err != nil {
			return "", err
		}
		return cl.Subject, nil
	}
}

// UDSValidator adapts Validator to ucm.WithTokenValidator, reading the
// server's clock.
func (s *Server) UDSValidator() func(token string) (string, bool) {
	v := s.Validator()
	return func(tok string) (string, bool) {
		u, err := v(tok, s.cfg.clock())
		return u, err == nil
	}
}

// Addr is Start's bound address ("" for New).
func (s *Server) Addr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Addr()
}

// Close stops Start's listener (if any); idempotent. It reports
// ErrUnexpected for requests the fake does not serve.
func (s *Server) Close() error {
	if s.http != nil {
		if err := s.http.Close(); err != nil {
			return fmt.Errorf("oauth: close: %w", err)
		}
	}
	return s.rec.Err(ErrUnexpected)
}

// Received returns a copy of the requests so far, oldest first.
func (s *Server) Received() []Request { return s.rec.Received() }

// ServeHTTP routes the /ssosp/ endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	if code, ok := httpx.MatchStatus(s.cfg.statusRules, r.URL.Path); ok {
		http.Error(w, http.StatusText(code), code)
		return
	}
	p := r.URL.Path
	switch {
	case p == AuthorizePath && r.Method == http.MethodGet:
		s.authorize(w, r)
	case p == AuthorizePath && r.Method == http.MethodPost && s.cfg.ssoOff:
		s.localLogin(w, r)
	case p == ACSPrefix+s.cfg.Hostname && r.Method == http.MethodPost && s.sp != nil:
		s.acs(w, r)
	case p == MetadataPath && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_, _ = w.Write(s.SPMetadata())
	case p == TokenPath && r.Method == http.MethodPost:
		s.token(w, r)
	case p == RevokePath && (r.Method == http.MethodPost || r.Method == http.MethodDelete):
		s.revoke(w, r)
	default:
		s.rec.Unexpected(r)
		http.NotFound(w, r)
	}
}

func (s *Server) client(id string) (App, bool) {
	for _, c := range s.cfg.apps {
		if c.ID == id {
			return c, true
		}
	}
	return App{}, false
}

func (s *Server) user(name string) (User, bool) {
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Username, name) || (u.Email != "" && strings.EqualFold(u.Email, name)) {
			return u, true
		}
	}
	return User{}, false
}

// authorize starts a sign-in (RFC 6749 §4.1.1 code, §4.2.1 implicit).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	redirect := c.RedirectURI
	if ru := q.Get("redirect_uri"); ru != "" && ru != c.RedirectURI {
		oauthError(w, http.StatusBadRequest, "invalid_request", "redirect_uri is not the registered one")
		return
	}
	ru, _ := url.Parse(redirect)
	p := pending{client: c, redirect: ru, state: q.Get("state"), responseType: q.Get("response_type"),
		expires: s.cfg.clock().Add(pendingLifetime)}
	switch p.responseType {
	case "token":
	case "code":
		if s.cfg.refreshOff {
			s.redirectError(w, r, p, "unsupported_response_type", "OAuth with Refresh Login Flow is disabled")
			return
		}
	default:
		s.redirectError(w, r, p, "unsupported_response_type", "response_type must be token or code")
		return
	}
	if sc := q.Get("scope"); sc != "" && sc != Scope {
		s.redirectError(w, r, p, "invalid_scope", "scope must be "+Scope)
		return
	}
	id := randomHex(16)
	if s.cfg.ssoOff {
		s.storePending(id, p)
		s.showLogin(w, id, "", "")
		return
	}
	u, reqID, err := s.sp.AuthnRequest(id)
	if err != nil {
		http.Error(w, "oauth: "+err.Error(), http.StatusInternalServerError)
		return
	}
	p.requestID = reqID
	s.storePending(id, p)
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) storePending(id string, p pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.clock()
	for k, v := range s.pending {
		if !now.Before(v.expires) {
			delete(s.pending, k)
		}
	}
	s.pending[id] = p
}

func (s *Server) takePending(id string) (pending, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	delete(s.pending, id)
	return p, ok && s.cfg.clock().Before(p.expires)
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><title>Cisco Unified CM - Sign in</title></head>
<body><h1>Sign in to Cisco Unified Communications Manager</h1>
{{if .Error}}<div class="error" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="` + AuthorizePath + `">
<input type="hidden" name="txn" value="{{.Txn}}">
<label>Username <input type="text" name="` + UsernameField + `" value="{{.Username}}"></label>
<label>Password <input type="password" name="` + PasswordField + `"></label>
<input type="submit" value="Sign In">
</form></body></html>
`))

func (s *Server) showLogin(w http.ResponseWriter, txn, username, errMsg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginPage.Execute(w, struct{ Txn, Username, Error string }{txn, username, errMsg})
}

// localLogin is UCM's own sign-in (SSO not enabled).
func (s *Server) localLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "oauth: bad form", http.StatusBadRequest)
		return
	}
	txn := r.PostForm.Get("txn")
	s.mu.Lock()
	p, ok := s.pending[txn]
	s.mu.Unlock()
	if !ok || !s.cfg.clock().Before(p.expires) {
		http.Error(w, "oauth: sign-in expired, start again", http.StatusBadRequest)
		return
	}
	name, pass := r.PostForm.Get(UsernameField), r.PostForm.Get(PasswordField)
	u, ok := s.user(name)
	if !ok || u.Password == "" || subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) != 1 {
		s.showLogin(w, txn, name, "The username or password is incorrect.")
		return
	}
	s.takePending(txn)
	s.complete(w, r, p, u)
}

// acs consumes the IdP's HTTP-POST response.
func (s *Server) acs(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, idp.MaxResponse+maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "oauth: bad ACS form", http.StatusBadRequest)
		return
	}
	p, ok := s.takePending(r.PostForm.Get("RelayState"))
	if !ok {
		http.Error(w, "oauth: unknown or expired sign-in (RelayState)", http.StatusBadRequest)
		return
	}
	a, err := s.sp.Verify(r.PostForm.Get("SAMLResponse"), p.requestID)
	if err != nil {
		http.Error(w, "oauth: SAML sign-in refused: "+err.Error(), http.StatusForbidden)
		return
	}
	u, ok := s.user(a.NameID)
	if !ok {
		u, ok = s.user(a.Attr("uid"))
	}
	if !ok {
		http.Error(w, fmt.Sprintf("oauth: SAML sign-in refused: NameID %q (uid %q) is not a Unified CM user", a.NameID, a.Attr("uid")), http.StatusForbidden)
		return
	}
	s.complete(w, r, p, u)
}

// complete redirects to the client with a token (implicit) or a code.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, p pending, u User) {
	loc := *p.redirect
	if p.responseType == "code" {
		code := randomHex(24)
		s.mu.Lock()
		s.codes[code] = grant{user: u.Username, client: p.client.ID, redirect: p.client.RedirectURI, expires: s.cfg.clock().Add(codeLifetime)}
		s.mu.Unlock()
		q := loc.Query()
		q.Set("code", code)
		if p.state != "" {
			q.Set("state", p.state)
		}
		loc.RawQuery = q.Encode()
		http.Redirect(w, r, loc.String(), http.StatusFound)
		return
	}
	access, err := s.mint(u.Username, p.client.ID, "access", s.cfg.access)
	if err != nil {
		http.Error(w, "oauth: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.afterIssue()
	f := url.Values{"access_token": {access}, "token_type": {"Bearer"},
		"expires_in": {fmt.Sprint(int(s.cfg.access.Seconds()))}}
	if p.state != "" {
		f.Set("state", p.state)
	}
	loc.Fragment, loc.RawFragment = "", ""
	http.Redirect(w, r, loc.String()+"#"+f.Encode(), http.StatusFound)
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, p pending, code, desc string) {
	loc := *p.redirect
	v := url.Values{"error": {code}, "error_description": {desc}}
	if p.state != "" {
		v.Set("state", p.state)
	}
	if p.responseType == "token" {
		http.Redirect(w, r, loc.String()+"#"+v.Encode(), http.StatusFound)
		return
	}
	q := loc.Query()
	for k, vs := range v {
		q[k] = vs
	}
	loc.RawQuery = q.Encode()
	http.Redirect(w, r, loc.String(), http.StatusFound)
}

func (s *Server) mint(user, client, kind string, ttl time.Duration) (string, error) {
	now := s.cfg.clock()
	return s.cluster.mint(Claims{
		Claims: jwt.Claims{
			Issuer: s.url("/ssosp/oauth"), Subject: user, Audience: jwt.Audience{"UnifiedCommunications"},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
		},
		Scope: Scope, ClientID: client, TokenType: kind,
	}, s.cfg.encrypt)
}

func (s *Server) afterIssue() {
	if s.cfg.regenerate {
		_ = s.cluster.RegenerateKeys()
	}
}

// token is the token endpoint (RFC 6749 §4.1.3, §6).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if !basic {
		id = f.Get("client_id")
	}
	c, ok := s.client(id)
	if !ok || (c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret.Reveal()), []byte(secret)) != 1) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	gt := f.Get("grant_type")
	if s.cfg.refreshOff && (gt == "authorization_code" || gt == "refresh_token") {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "OAuth with Refresh Login Flow is disabled")
		return
	}
	now := s.cfg.clock()
	switch gt {
	case "authorization_code":
		code := f.Get("code")
		s.mu.Lock()
		g, ok := s.codes[code]
		delete(s.codes, code)
		s.mu.Unlock()
		if !ok || !now.Before(g.expires) || g.client != c.ID || (f.Get("redirect_uri") != "" && f.Get("redirect_uri") != g.redirect) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
			return
		}
		access, err1 := s.mint(g.user, c.ID, "access", s.cfg.access)
		refresh, err2 := s.mint(g.user, c.ID, "refresh", s.cfg.refresh)
		if err := errors.Join(err1, err2); err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		s.afterIssue()
		writeJSON(w, http.StatusOK, TokenResponse{AccessToken: access, TokenType: "Bearer",
			ExpiresIn: int64(s.cfg.access.Seconds()), RefreshToken: refresh,
			RefreshTokenExpiresIn: int64(s.cfg.refresh.Seconds()), Scope: Scope})
	case "refresh_token":
		cl, err := s.cluster.check(f.Get("refresh_token"), now, checkOpts{kind: "refresh", acceptExpired: s.cfg.acceptExpired, ignoreRevoked: s.cfg.ignoreRevoke})
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		if cl.ClientID != c.ID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token of another client")
			return
		}
		access, err := s.mint(cl.Subject, c.ID, "access", s.cfg.access)
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		s.afterIssue()
		writeJSON(w, http.StatusOK, TokenResponse{AccessToken: access, TokenType: "Bearer",
			ExpiresIn: int64(s.cfg.access.Seconds()), Scope: Scope})
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// revoke is UCM's revoke API.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	name, pass, ok := r.BasicAuth()
	a := s.cfg.admin
	if !ok || a == nil || !strings.EqualFold(name, a.Username) || subtle.ConstantTimeCompare([]byte(pass), []byte(a.Password)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="Cisco Web Services Realm"`)
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	user := q.Get("user_id")
	out := RevokeResponse{}
	out.RevokedTokens.UserID = user
	out.RevokedTokens.ClientIDTokens = []json.RawMessage{}
	if _, known := s.user(user); user == "" || !known {
		out.RevokedTokens.Status = "failure"
		writeJSON(w, http.StatusNotFound, out)
		return
	}
	counts := map[string]int{}
	if !s.cfg.ignoreRevoke {
		counts = s.cluster.revoke(user, q.Get("client_id"), s.cfg.clock())
	}
	out.RevokedTokens.Status = "success"
	for c, n := range counts {
		b, _ := json.Marshal(map[string]any{"client_id": c, "revoked": n})
		out.RevokedTokens.ClientIDTokens = append(out.RevokedTokens.ClientIDTokens, b)
	}
	writeJSON(w, http.StatusOK, out)
}

func oauthError(w http.ResponseWriter, code int, e, desc string) {
	writeJSON(w, code, map[string]string{"error": e, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
