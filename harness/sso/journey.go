package sso

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/ucm"
)

// Config describes one user's journey through a site.
type Config struct {
	// HTTP carries every request (trust roots, resolver, proxy); it need
	// not, and should not, follow redirects.
	HTTP *http.Client
	// Logins fill the IdP's form (and UCM's own, when UCM is not SSO).
	Logins []Login
	// WebexStart is the URL that starts the Webex sign-in (the fake's
	// /idb/login?email=…); empty skips SignInWebex.
	WebexStart string
	// UCM is the node's base URL, e.g. https://ucm1.example.com:8443.
	UCM string
	// App is the OAuth client; default oauth.DefaultApp().
	App oauth.App
	// Clock is the time source; default time.Now.
	Clock func() time.Time
	// MaxHops bounds one navigation; default DefaultMaxHops.
	MaxHops int
	// Expressway is the Expressway-E base URL (https://E:8443) and Domain
	// the discovery domain, for the MRA steps; empty skips them.
	Expressway, Domain string
	// Email is the user's address, sent on the MRA authorize path.
	Email string
}

// Journey is one user's sign-in state: the embedded browser (its IdP
// cookie), and the UCM tokens. Keep one per user and scenario; its methods
// are safe for concurrent use but meant to run in order.
type Journey struct {
	cfg   Config
	agent *Agent
	oc    *oauth.Client
	uc    *ucm.Client

	mu     sync.Mutex
	tokens oauth.Tokens
	grant  string
}

// Step is the outcome of one journey step, for a check to judge and
// attach. Evidence is redacted.
type Step struct {
	Name string
	// Prompts is the number of credential prompts this step showed.
	Prompts int
	// Nav is the browser navigation, if the step had one.
	Nav *Result
	// Exchanges are the API calls (token, refresh, UDS, revoke).
	Exchanges []httpx.Evidence
	// Notes say what the step observed, e.g. "code grant refused:
	// unsupported_response_type; fell back to implicit".
	Notes []string

	red *Redactor
}

// Evidence renders the step, secrets redacted.
func (s Step) Evidence() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %s: %d credential prompt(s)\n", s.Name, s.Prompts)
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if s.Nav != nil {
		b.WriteString(s.Nav.Evidence())
	}
	for _, e := range s.Exchanges {
		b.WriteString(e.String())
	}
	if s.red != nil {
		return s.red.String(b.String())
	}
	return b.String()
}

// NewJourney checks cfg and makes a fresh browser.
func NewJourney(cfg Config) (*Journey, error) {
	if cfg.HTTP == nil {
		return nil, errors.New("sso: journey: HTTP client is required")
	}
	if cfg.UCM == "" {
		return nil, errors.New("sso: journey: UCM base URL is required")
	}
	if cfg.App.ID == "" {
		cfg.App = oauth.DefaultApp()
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	opts := []Option{WithClock(cfg.Clock)}
	if cfg.MaxHops > 0 {
		opts = append(opts, WithMaxHops(cfg.MaxHops))
	}
	for _, l := range cfg.Logins {
		opts = append(opts, WithLogin(l))
	}
	ag, err := NewAgent(cfg.HTTP, opts...)
	if err != nil {
		return nil, err
	}
	j := &Journey{cfg: cfg, agent: ag, oc: oauth.NewClient(cfg.HTTP), uc: ucm.NewClient(cfg.HTTP)}
	ag.red.Add(cfg.App.Secret.Reveal())
	return j, nil
}

// Agent is the journey's browser.
func (j *Journey) Agent() *Agent { return j.agent }

// Tokens are the UCM tokens held (secrets print redacted).
func (j *Journey) Tokens() oauth.Tokens {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.tokens
}

// Grant is "code" (refresh login flow) or "implicit", once signed in.
func (j *Journey) Grant() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.grant
}

func (j *Journey) step(name string) Step { return Step{Name: name, red: &j.agent.red} }

func (j *Journey) keep(t oauth.Tokens) {
	j.agent.red.Add(t.Access.Reveal(), t.Refresh.Reveal())
}

// SignInWebex signs in to Webex: normally one prompt, at the IdP.
func (j *Journey) SignInWebex(ctx context.Context) (Step, error) {
	st := j.step("webex sign-in")
	if j.cfg.WebexStart == "" {
		return st, errors.New("sso: webex sign-in: no start URL")
	}
	res, err := j.agent.Get(ctx, j.cfg.WebexStart)
	st.Nav, st.Prompts = res, res.Prompts
	if err != nil {
		return st, fmt.Errorf("sso: webex sign-in: %w", err)
	}
	if res.Callback() == nil {
		return st, fmt.Errorf("sso: webex sign-in: ended at %s with status %d, not at the app callback%s", res.URL, res.Status, pageReason(res))
	}
	if e := res.Callback().Query().Get("error"); e != "" {
		return st, fmt.Errorf("sso: webex sign-in: refused: %s", clip(e))
	}
	return st, nil
}

// SignInUCM runs UCM's authorize in the same browser: with a healthy site
// the IdP session is reused (no prompt). It asks for the code grant (the
// refresh login flow) and falls back to the implicit grant if UCM answers
// unsupported_response_type, noting it.
func (j *Journey) SignInUCM(ctx context.Context) (Step, error) {
	base := strings.TrimRight(j.cfg.UCM, "/")
	return j.signIn(ctx, "ucm sign-in", base+oauth.AuthorizePath, base+oauth.TokenPath, nil)
}

// SignInMRA is SignInUCM through Expressway's MRA OAuth paths
// (/<b64 D>/authorize and /<b64 D>/token); the tokens replace those held.
func (j *Journey) SignInMRA(ctx context.Context) (Step, error) {
	if j.cfg.Expressway == "" || j.cfg.Domain == "" {
		return j.step("mra sign-in"), errors.New("sso: mra sign-in: no Expressway or domain")
	}
	base := j.mraBase()
	extra := url.Values{"realm": {"local"}, "device_id": {"cutover-" + j.cfg.App.ID}}
	if j.cfg.Email != "" {
		extra.Set("email", j.cfg.Email)
	}
	return j.signIn(ctx, "mra sign-in", base+"/authorize", base+"/token", extra)
}

func (j *Journey) mraBase() string {
	return strings.TrimRight(j.cfg.Expressway, "/") + "/" + base64.RawStdEncoding.EncodeToString([]byte(j.cfg.Domain))
}

// EdgeConfig asks Expressway for get_edge_config with the access token,
// as a signed-in app does over MRA.
func (j *Journey) EdgeConfig(ctx context.Context) (expressway.EdgeConfig, Step, error) {
	st := j.step("mra edge config")
	if j.cfg.Expressway == "" || j.cfg.Domain == "" {
		return expressway.EdgeConfig{}, st, errors.New("sso: mra edge config: no Expressway or domain")
	}
	ec, ev, err := expressway.NewClient(j.cfg.HTTP).GetEdgeConfigBearer(ctx, j.cfg.Expressway, j.cfg.Domain, j.Tokens().Access.Reveal())
	st.Exchanges = append(st.Exchanges, ev)
	if err != nil {
		return ec, st, fmt.Errorf("sso: mra edge config: %w", err)
	}
	return ec, st, nil
}

func (j *Journey) signIn(ctx context.Context, name, authorize, tokenURL string, extra url.Values) (Step, error) {
	st := j.step(name)
	for _, rt := range []string{"code", "token"} {
		res, err := j.agent.Get(ctx, j.authorizeURL(authorize, rt, extra))
		st.Nav = res
		st.Prompts += res.Prompts
		if err != nil {
			return st, fmt.Errorf("sso: %s: %w", name, err)
		}
		cb := res.Callback()
		if cb == nil {
			return st, fmt.Errorf("sso: %s: ended at %s with status %d, not at the app callback%s", name, res.URL, res.Status, pageReason(res))
		}
		if rt == "code" {
			code, err := oauth.CodeFrom(cb)
			if errors.Is(err, oauth.ErrGrant) && strings.Contains(err.Error(), "unsupported_response_type") {
				st.Notes = append(st.Notes, "code grant (refresh login flow) refused: unsupported_response_type; trying the implicit grant")
				continue
			}
			if err != nil {
				return st, fmt.Errorf("sso: %s: %w", name, err)
			}
			t, ev, err := j.oc.Exchange(ctx, tokenURL, j.cfg.App, code)
			st.Exchanges = append(st.Exchanges, ev)
			if err != nil {
				return st, fmt.Errorf("sso: %s: %w", name, err)
			}
			j.keep(t)
			j.mu.Lock()
			j.tokens, j.grant = t, "code"
			j.mu.Unlock()
			return st, nil
		}
		t, err := oauth.ImplicitTokens(cb)
		if err != nil {
			return st, fmt.Errorf("sso: %s: %w", name, err)
		}
		j.keep(t)
		j.mu.Lock()
		j.tokens, j.grant = t, "implicit"
		j.mu.Unlock()
		st.Notes = append(st.Notes, "implicit grant: access token without refresh token")
		return st, nil
	}
	return st, fmt.Errorf("sso: %s: no grant worked", name)
}

func (j *Journey) authorizeURL(endpoint, responseType string, extra url.Values) string {
	q := url.Values{"scope": {oauth.Scope}, "response_type": {responseType}, "client_id": {j.cfg.App.ID},
		"redirect_uri": {j.cfg.App.RedirectURI}, "state": {"cutover"}}
	for k, v := range extra {
		q[k] = v
	}
	return endpoint + "?" + q.Encode()
}

// Refresh trades the refresh token for a new access token, without the
// IdP. Errors wrap oauth.ErrGrant when UCM refuses (revoked, expired).
func (j *Journey) Refresh(ctx context.Context) (Step, error) {
	st := j.step("refresh")
	cur := j.Tokens()
	if cur.Refresh == "" {
		return st, errors.New("sso: refresh: no refresh token (implicit grant or not signed in)")
	}
	t, ev, err := j.oc.Refresh(ctx, strings.TrimRight(j.cfg.UCM, "/")+oauth.TokenPath, j.cfg.App, cur.Refresh)
	st.Exchanges = append(st.Exchanges, ev)
	if err != nil {
		return st, fmt.Errorf("sso: refresh: %w", err)
	}
	j.keep(t)
	if t.Refresh == "" {
		t.Refresh, t.RefreshExpiresIn = cur.Refresh, cur.RefreshExpiresIn
	}
	j.mu.Lock()
	j.tokens = t
	j.mu.Unlock()
	return st, nil
}

// UDS fetches /cucm-uds/user/U/devices with the access token.
func (j *Journey) UDS(ctx context.Context, username string) ([]ucm.Device, Step, error) {
	st := j.step("uds")
	d, ev, err := j.uc.UserDevices(ctx, j.cfg.UCM, username, ucm.Auth{Bearer: j.Tokens().Access.Reveal()})
	st.Exchanges = append(st.Exchanges, ev)
	if err != nil {
		return nil, st, fmt.Errorf("sso: uds: %w", err)
	}
	return d, st, nil
}

// Revoke calls UCM's revoke API as admin for user.
func (j *Journey) Revoke(ctx context.Context, admin oauth.Admin, user string) (oauth.RevokeResponse, Step, error) {
	st := j.step("revoke")
	j.agent.red.Add(admin.Password)
	rr, ev, err := j.oc.Revoke(ctx, strings.TrimRight(j.cfg.UCM, "/")+oauth.RevokePath, admin, user, "")
	st.Exchanges = append(st.Exchanges, ev)
	if err != nil {
		return rr, st, fmt.Errorf("sso: revoke: %w", err)
	}
	if rr.RevokedTokens.Status != "success" {
		return rr, st, fmt.Errorf("sso: revoke: status %q for %s", rr.RevokedTokens.Status, user)
	}
	return rr, st, nil
}

// pageReason quotes the start of a final text page (an SP's refusal).
func pageReason(r *Result) string {
	if r == nil || len(r.Body) == 0 || r.Status < 400 {
		return ""
	}
	s := strings.Join(strings.Fields(string(r.Body)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return ": " + r.red.String(s)
}
