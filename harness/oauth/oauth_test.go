package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var sharedCluster *Cluster

func cluster(t *testing.T) *Cluster {
	t.Helper()
	c, err := NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestServer(t *testing.T, opts ...Option) (*Server, *clock) {
	t.Helper()
	ck := &clock{t: time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)}
	s, err := New(append([]Option{SSODisabled(), WithClock(ck.now), WithAdmin(Admin{"ccmadmin", "pw-admin-1"}),
		WithUsers(User{Username: "alice", Email: "alice@example.com", Password: "pw-alice"}, User{Username: "bob"})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, ck
}

func TestValidator(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []Option
		token func(t *testing.T, s *Server, ck *clock) string
		want  error
	}{
		{"valid", nil, func(t *testing.T, s *Server, _ *clock) string { return mint(t, s, "alice", "access") }, nil},
		{"valid encrypted", []Option{EncryptTokens()}, func(t *testing.T, s *Server, _ *clock) string {
			tok := mint(t, s, "alice", "access")
			if info, err := Inspect(tok); err != nil || info.Parts != 5 || !info.Encrypted {
				t.Fatalf("encrypted token inspect: %+v %v", info, err)
			}
			return tok
		}, nil},
		{"expired", nil, func(t *testing.T, s *Server, ck *clock) string {
			tok := mint(t, s, "alice", "access")
			ck.advance(61 * time.Minute)
			return tok
		}, ErrExpired},
		{"expired accepted (fault)", []Option{AcceptExpiredTokens()}, func(t *testing.T, s *Server, ck *clock) string {
			tok := mint(t, s, "alice", "access")
			ck.advance(61 * time.Minute)
			return tok
		}, nil},
		{"revoked", nil, func(t *testing.T, s *Server, _ *clock) string {
			tok := mint(t, s, "alice", "access")
			s.cluster.revoke("alice", "", time.Time{})
			return tok
		}, ErrRevoked},
		{"revocation ignored (fault)", []Option{IgnoreRevocation()}, func(t *testing.T, s *Server, _ *clock) string {
			tok := mint(t, s, "alice", "access")
			s.cluster.revoke("alice", "", time.Time{})
			return tok
		}, nil},
		{"keys regenerated", nil, func(t *testing.T, s *Server, _ *clock) string {
			tok := mint(t, s, "alice", "access")
			if err := s.cluster.RegenerateKeys(); err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrBadSignature},
		{"other cluster", nil, func(t *testing.T, _ *Server, _ *clock) string {
			o, _ := newTestServer(t)
			return mint(t, o, "alice", "access")
		}, ErrBadSignature},
		{"shared cluster", []Option{WithCluster(sharedCluster)}, func(t *testing.T, _ *Server, ck *clock) string {
			o, err := New(SSODisabled(), WithCluster(sharedCluster), WithClock(ck.now))
			if err != nil {
				t.Fatal(err)
			}
			return mint(t, o, "alice", "access")
		}, nil},
		{"tampered payload", nil, func(t *testing.T, s *Server, _ *clock) string {
			p := strings.Split(mint(t, s, "alice", "access"), ".")
			p[1] = p[1][:len(p[1])-2] + "xx"
			return strings.Join(p, ".")
		}, ErrBadSignature},
		{"refresh token as access", nil, func(t *testing.T, s *Server, _ *clock) string { return mint(t, s, "alice", "refresh") }, ErrMalformed},
		{"garbage", nil, func(*testing.T, *Server, *clock) string { return "not-a-token" }, ErrMalformed},
		{"three garbage parts", nil, func(*testing.T, *Server, *clock) string { return "a.b.c" }, ErrMalformed},
		{"alg none", nil, func(*testing.T, *Server, *clock) string {
			return "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."
		}, ErrMalformed},
		{"oversized", nil, func(*testing.T, *Server, *clock) string { return strings.Repeat("a", MaxToken+1) }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "shared cluster" {
				sharedCluster = cluster(t)
				tc.opts = []Option{WithCluster(sharedCluster)}
			}
			s, ck := newTestServer(t, tc.opts...)
			tok := tc.token(t, s, ck)
			user, err := s.Validator()(tok, ck.now())
			if tc.want == nil {
				if err != nil || user != "alice" {
					t.Fatalf("want alice, got %q %v", user, err)
				}
				if u, ok := s.UDSValidator()(tok); !ok || u != "alice" {
					t.Errorf("UDSValidator disagrees: %q %v", u, ok)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func mint(t *testing.T, s *Server, user, kind string) string {
	t.Helper()
	ttl := s.cfg.access
	if kind == "refresh" {
		ttl = s.cfg.refresh
	}
	tok, err := s.mint(user, DefaultClientID, kind, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLifetimeRanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Option
		ok   bool
	}{
		{"access 1 min", WithAccessLifetime(time.Minute), true},
		{"access 1440 min", WithAccessLifetime(1440 * time.Minute), true},
		{"access 0", WithAccessLifetime(30 * time.Second), false},
		{"access 1441 min", WithAccessLifetime(1441 * time.Minute), false},
		{"refresh 1 day", WithRefreshLifetime(24 * time.Hour), true},
		{"refresh 365 days", WithRefreshLifetime(365 * 24 * time.Hour), true},
		{"refresh 366 days", WithRefreshLifetime(366 * 24 * time.Hour), false},
		{"refresh 12 h", WithRefreshLifetime(12 * time.Hour), false},
		{"out of range (fault)", OutOfRangeLifetimes(2*24*time.Hour, 400*24*time.Hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(SSODisabled(), tc.opt)
			if (err == nil) != tc.ok {
				t.Fatalf("ok=%v, err %v", tc.ok, err)
			}
		})
	}
	s, _ := newTestServer(t)
	if a, r := s.Lifetimes(); a != 60*time.Minute || r != 60*24*time.Hour {
		t.Errorf("defaults %v %v", a, r)
	}
}

func call(s *Server, method, target string, form url.Values, user, pass string) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

func TestRevokeAPI(t *testing.T) {
	s, _ := newTestServer(t)
	base := "https://ucm1.example.com:8443" + RevokePath
	for _, tc := range []struct {
		name, method, query, user, pass string
		code                            int
		status                          string
	}{
		{"no credentials", "POST", "?user_id=alice", "", "", 401, ""},
		{"bad credentials", "POST", "?user_id=alice", "ccmadmin", "nope", 401, ""},
		{"end user is not admin", "POST", "?user_id=alice", "alice", "pw-alice", 401, ""},
		{"unknown user", "POST", "?user_id=zed", "ccmadmin", "pw-admin-1", 404, "failure"},
		{"ok", "POST", "?user_id=alice", "ccmadmin", "pw-admin-1", 200, "success"},
		{"ok with client and DELETE", "DELETE", "?user_id=alice&client_id=" + DefaultClientID, "ccmadmin", "pw-admin-1", 200, "success"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mint(t, s, "alice", "refresh")
			w := call(s, tc.method, base+tc.query, nil, tc.user, tc.pass)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if tc.code == 401 {
				if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
					t.Errorf("WWW-Authenticate %q", got)
				}
				return
			}
			rr, err := ParseRevokeResponse(w.Body.Bytes())
			if err != nil || rr.RevokedTokens.Status != tc.status {
				t.Fatalf("revoke response %+v %v", rr, err)
			}
			if tc.status == "success" && (rr.RevokedTokens.UserID != "alice" || len(rr.RevokedTokens.ClientIDTokens) != 1) {
				t.Errorf("revoke response %s", w.Body)
			}
		})
	}
}

func TestTokenEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []Option
		form  url.Values
		code  int
		error string
	}{
		{"unknown client", nil, url.Values{"grant_type": {"refresh_token"}, "client_id": {"nope"}}, 401, "invalid_client"},
		{"bad grant type", nil, url.Values{"grant_type": {"password"}, "client_id": {DefaultClientID}}, 400, "unsupported_grant_type"},
		{"bad code", nil, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {DefaultClientID}}, 400, "invalid_grant"},
		{"bad refresh token", nil, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x.y.z"}, "client_id": {DefaultClientID}}, 400, "invalid_grant"},
		{"refresh flow disabled", []Option{RefreshLoginFlowDisabled()}, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {DefaultClientID}}, 400, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, tc.opts...)
			w := call(s, "POST", "https://ucm1.example.com:8443"+TokenPath, tc.form, "", "")
			var e struct{ Error string }
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != tc.code || e.Error != tc.error {
				t.Fatalf("got %d %q, want %d %q", w.Code, e.Error, tc.code, tc.error)
			}
			if _, err := ParseTokenResponse(w.Body.Bytes()); !errors.Is(err, ErrGrant) {
				t.Errorf("ParseTokenResponse: %v", err)
			}
		})
	}
}

func TestLocalLoginAndCodeGrant(t *testing.T) {
	s, _ := newTestServer(t)
	q := url.Values{"scope": {Scope}, "response_type": {"code"}, "client_id": {DefaultClientID}, "state": {"st"}}
	w := call(s, "GET", "https://ucm1.example.com:8443"+AuthorizePath+"?"+q.Encode(), nil, "", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), PasswordField) {
		t.Fatalf("want UCM login form, got %d", w.Code)
	}
	txn := between(w.Body.String(), `name="txn" value="`, `"`)
	bad := call(s, "POST", "https://ucm1.example.com:8443"+AuthorizePath, url.Values{"txn": {txn}, UsernameField: {"alice"}, PasswordField: {"nope"}}, "", "")
	if !strings.Contains(bad.Body.String(), "incorrect") {
		t.Fatalf("wrong password: %s", bad.Body)
	}
	ok := call(s, "POST", "https://ucm1.example.com:8443"+AuthorizePath, url.Values{"txn": {txn}, UsernameField: {"alice"}, PasswordField: {"pw-alice"}}, "", "")
	loc, _ := url.Parse(ok.Header().Get("Location"))
	code, err := CodeFrom(loc)
	if ok.Code != 302 || err != nil || loc.Query().Get("state") != "st" {
		t.Fatalf("callback %d %v", ok.Code, err)
	}
	w = call(s, "POST", "https://ucm1.example.com:8443"+TokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {code.Reveal()},
		"client_id": {DefaultClientID}, "redirect_uri": {DefaultRedirectURI}}, "", "")
	tk, err := ParseTokenResponse(w.Body.Bytes())
	if err != nil || tk.Refresh == "" || tk.ExpiresIn != time.Hour {
		t.Fatalf("tokens %v %v", tk, err)
	}
	if s := (tk.Access.String() + tk.Refresh.GoString()); strings.Contains(s, "eyJ") {
		t.Error("Secret printed its value")
	}
	// A code works once.
	w = call(s, "POST", "https://ucm1.example.com:8443"+TokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {code.Reveal()},
		"client_id": {DefaultClientID}}, "", "")
	if w.Code != 400 {
		t.Errorf("code reused: %d", w.Code)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

// Nodes that hold the same key in different processes (one container
// each) accept each other's tokens; a revocation is the node's own.
func TestClusterWithKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	node := func() (*Server, *clock) {
		cl, err := NewClusterWithKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return newTestServer(t, WithCluster(cl))
	}
	a, ck := node()
	b, _ := node()
	b.cfg.clock = ck.now
	other, _ := newTestServer(t)
	tok := mint(t, a, "alice", "access")
	for _, enc := range []bool{false, true} {
		a.cfg.encrypt = enc
		tok := mint(t, a, "alice", "access")
		if u, err := b.Validator()(tok, ck.now()); u != "alice" || err != nil {
			t.Errorf("encrypted=%v: node b: %q %v, want alice", enc, u, err)
		}
	}
	if _, err := other.Validator()(tok, ck.now()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a cluster of another key: %v, want ErrBadSignature", err)
	}
	ck.advance(time.Second)
	w := call(b, "POST", "https://ucm2.example.com:8443"+RevokePath+"?user_id=alice", nil, "ccmadmin", "pw-admin-1")
	if w.Code != 200 {
		t.Fatalf("revoke at b: %d %s", w.Code, w.Body)
	}
	if _, err := b.Validator()(tok, ck.now()); !errors.Is(err, ErrRevoked) {
		t.Errorf("node b after its revoke: %v, want ErrRevoked", err)
	}
	if u, err := a.Validator()(tok, ck.now()); u != "alice" || err != nil {
		t.Errorf("node a after b's revoke: %q %v, want alice (revocation is per node)", u, err)
	}
	ck.advance(time.Second)
	if u, err := b.Validator()(mint(t, a, "alice", "access"), ck.now()); u != "alice" || err != nil {
		t.Errorf("node b, token issued after its revoke: %q %v, want alice", u, err)
	}
	if _, err := NewClusterWithKey(nil); err == nil {
		t.Error("NewClusterWithKey(nil): want an error")
	}
}
