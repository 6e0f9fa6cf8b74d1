package sso

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// AccessToken signs u in to the UCM of their home cluster the way the
// Webex App does, through the scenario's target from where the client
// stands, and returns UCM's tokens: UCM's OAuth authorize in the app's
// browser (the IdP's login form when UCM is SAML SSO, UCM's own form when
// it is not), the code grant (refresh login flow), else the implicit
// grant. Every token is registered with the target's redaction before it
// is returned; the secrets print as [redacted]. In a scenario the sign-in
// is made once per user and kept (the same journey the SSO checks use).
// It works the same against the fakes and a lab: the site data come from
// the target (sso.idp, sso.login, the user's home cluster).
//
// Errors: a failed sign-in of the site (wrong password at the IdP, a
// refused assertion, an error from UCM) is an error of the site; a reason
// the suite could not test (the password refused, the failure budget
// spent, a timeout) matches target.ErrNotTested.
func AccessToken(ctx context.Context, u target.User) (oauth.Tokens, error) {
	w := steps.WorldFrom(ctx)
	if w == nil {
		return oauth.Tokens{}, errors.New("sso: AccessToken outside a scenario: use AccessTokenFrom")
	}
	if st := state(ctx); st != nil {
		j, err := st.journey(ctx, w.T, w.Where, u)
		if err != nil {
			return oauth.Tokens{}, err
		}
		return j.signedIn(ctx)
	}
	return AccessTokenFrom(ctx, w.T, w.Where, u)
}

// AccessTokenFrom is AccessToken outside a scenario: a fresh sign-in of u
// through t from where.
func AccessTokenFrom(ctx context.Context, t *target.Target, where target.Where, u target.User) (oauth.Tokens, error) {
	j, err := newJourney(t, where, u)
	if err != nil {
		return oauth.Tokens{}, err
	}
	return j.signedIn(ctx)
}

// journey is one user's sign-in through the target.
type journey struct {
	t     *target.Target
	where target.Where
	user  target.User
	ucm   string // https://node:port of the user's home publisher
	j     *sso.Journey
	guard *guard
	gate  *gate // nil outside a scenario

	// UCM sign-in, made once.
	done bool
	step sso.Step
	err  error
}

// ucmBase is https://node:port of node in cluster c.
func ucmBase(c target.Cluster, node string) string {
	return "https://" + node + ":" + strconv.Itoa(c.Port())
}

func newJourney(t *target.Target, where target.Where, u target.User) (*journey, error) {
	return newJourneyAt(t, where, u, "")
}

// newJourneyAt signs in at node ("" the user's home publisher).
func newJourneyAt(t *target.Target, where target.Where, u target.User, node string) (*journey, error) {
	cl, ok := t.Site.Cluster(u.HomeCluster)
	if !ok || cl.Publisher() == "" {
		return nil, fmt.Errorf("sso: user %s: no home cluster %q in the target", u.Username, u.HomeCluster)
	}
	if node == "" {
		node = cl.Publisher()
	}
	base := ucmBase(cl, node)
	s := &t.Site.SSO
	logins := []sso.Login{{URLPrefix: base + "/", UsernameField: oauth.UsernameField, PasswordField: oauth.PasswordField,
		Username: u.Username, Password: u.Password}}
	if s.IdP != "" {
		logins = append(logins, sso.Login{URLPrefix: strings.TrimRight(s.IdP, "/") + "/", UsernameField: s.Login.UsernameField,
			PasswordField: s.Login.PasswordField, Username: t.Site.IdPLogin(u), Password: u.Password})
	}
	hc := t.HTTPClient(where)
	g := &guard{t: t, user: u, next: hc.Transport}
	guarded := &http.Client{Transport: g, Timeout: hc.Timeout, CheckRedirect: hc.CheckRedirect}
	cfg := sso.Config{HTTP: guarded, Logins: logins, UCM: base, App: s.App(), Clock: t.Now, Email: u.Email, Domain: u.VSD()}
	if s.Webex != "" {
		cfg.WebexStart = s.Webex + "?" + url.Values{"email": {u.Email}}.Encode()
	}
	if len(t.Site.Expressway.Edge) > 0 {
		cfg.Expressway = "https://" + t.Site.Expressway.Edge[0] + ":8443"
	}
	j, err := sso.NewJourney(cfg)
	if err != nil {
		return nil, err
	}
	return &journey{t: t, where: where, user: u, ucm: base, j: j, guard: g}, nil
}

// signedIn signs in to UCM once and returns the tokens.
func (j *journey) signedIn(ctx context.Context) (oauth.Tokens, error) {
	if !j.done {
		j.done = true
		unlock := j.gate.lock(j.user.Username)
		j.step, j.err = j.j.SignInUCM(ctx)
		j.err = j.judge(j.step, j.err)
		unlock()
	}
	if j.err != nil {
		return oauth.Tokens{}, j.err
	}
	return j.j.Tokens(), nil
}

// judge registers what a step handled with the target's redaction and
// classifies its error: a login form refused the test user's password
// (the site said no to a credential the suite was given: could not test).
func (j *journey) judge(st sso.Step, err error) error {
	j.secrets(st)
	j.guard.settle(err)
	if err == nil {
		return nil
	}
	red := j.j.Agent().Redactor()
	msg := red.String(err.Error())
	if errors.Is(err, sso.ErrSignInFailed) {
		host := j.user.Username
		if st.Nav != nil {
			if u, perr := url.Parse(st.Nav.URL); perr == nil {
				host = u.Hostname()
			}
		}
		return fmt.Errorf("%w: %s: the sign-in of %s failed (%s): check the test user's password in the target", target.ErrCredentialRefused, host, j.user.Username, msg)
	}
	if errors.Is(err, sso.ErrNavigate) {
		// The browser keeps only the text of a transport error; the
		// guard kept the error itself (a refused credential, a timeout,
		// a name that does not resolve), which decides the verdict.
		if terr := j.guard.last(); terr != nil {
			return wrapped{msg: msg, err: terr}
		}
	}
	return wrapped{msg: msg, err: err}
}

// secrets registers the step's tokens and assertions with the target.
func (j *journey) secrets(st sso.Step) {
	tok := j.j.Tokens()
	for _, s := range []string{tok.Access.Reveal(), tok.Refresh.Reveal()} {
		if s != "" {
			j.t.AddSecret(s)
		}
	}
	if st.Nav != nil {
		for _, a := range st.Nav.SAMLResponses("") {
			j.t.AddSecret(a)
		}
	}
}

// evidence is a step's evidence, redacted by the journey and the target.
func (j *journey) evidence(st sso.Step) string { return j.t.Redact(st.Evidence()) }

// wrapped is an error whose text is redacted and whose cause still
// matches errors.Is.
type wrapped struct {
	msg string
	err error
}

func (e wrapped) Error() string { return e.msg }
func (e wrapped) Unwrap() error { return e.err }

// guard holds the browser's requests to the target's credential rules:
// every POST carries a credential (a password in a login form, an
// assertion in a SAML form, a code or refresh token at UCM's token
// endpoint), so it goes only over verified TLS to a host the target names,
// and a form holding the test user's password only while the target's
// authentication guard allows.
type guard struct {
	t    *target.Target
	user target.User
	next http.RoundTripper

	mu       sync.Mutex
	lastErr  error
	uses     []*target.CredentialUse       // the password's sends not yet judged
	lastSent *target.CredentialUse         // the sign-in's last send of the password
	answered map[*target.CredentialUse]int // the HTTP status each send was answered with
}

// settle ends the password's sends of the sign-in judged with err: the
// login form came back (the last one refused), the sign-in went through
// (accepted), or it ended before either was known.
func (g *guard) settle(err error) {
	g.mu.Lock()
	uses, last := g.uses, g.lastSent
	g.uses, g.lastSent, g.answered = nil, nil, nil
	g.mu.Unlock()
	const why = "login form refused the password"
	refused := errors.Is(err, sso.ErrSignInFailed)
	for _, u := range uses {
		switch {
		case refused && u == last:
			u.Refused(why)
		case err == nil:
			u.Accepted()
		default:
			u.Done()
		}
	}
	// A last send no longer here was taken (answered by a page, and the
	// browser went on): a login form after it came from another host,
	// which was never sent the password, so no refusal is recorded.
}

// leave settles as accepted the password's sends whose answer was a
// page (2xx) when the browser goes on to another host: the agent goes on
// from a page only when it is not the login form again, so the password
// was taken, and its place in flight is freed at once instead of when the
// sign-in is judged (checks side by side wait for it). A send answered by
// a redirect stays until then: the login form may come back after it.
func (g *guard) leave(host string) {
	g.mu.Lock()
	var keep, done []*target.CredentialUse
	for _, u := range g.uses {
		if s := g.answered[u]; s >= 200 && s < 300 && !u.On(host) {
			done = append(done, u)
		} else {
			keep = append(keep, u)
		}
	}
	g.uses = keep
	g.mu.Unlock()
	for _, u := range done {
		u.Accepted()
	}
}

// last is the last error a request of the journey ended with.
func (g *guard) last() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastErr
}

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := g.roundTrip(r)
	if err != nil {
		g.mu.Lock()
		g.lastErr = err
		g.mu.Unlock()
	}
	return resp, err
}

func (g *guard) roundTrip(r *http.Request) (*http.Response, error) {
	// The sign-in's own requests go on under its password's send, which
	// stays in flight until the sign-in is judged or, answered by a page,
	// goes on to another host.
	r = r.WithContext(target.WithSender(r.Context(), g))
	g.leave(r.URL.Hostname())
	if r.Method != http.MethodPost || r.Body == nil {
		return g.next.RoundTrip(r)
	}
	host := r.URL.Hostname()
	if err := g.t.CredentialTo(r.URL.Scheme, host); err != nil {
		r.Body.Close()
		return nil, fmt.Errorf("%w (a form posted to %s)", err, r.URL.Redacted())
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, sso.MaxPage))
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	var use *target.CredentialUse
	if g.user.Password != "" {
		if f, err := url.ParseQuery(string(body)); err == nil && formHas(f, g.user.Password) {
			if use, err = g.t.UseCredential(r.Context(), host, g.user.Username); err != nil {
				return nil, err
			}
			g.mu.Lock()
			g.uses = append(g.uses, use)
			g.lastSent = use
			g.mu.Unlock()
		}
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	resp, err := g.next.RoundTrip(r2)
	if use != nil && err == nil {
		g.mu.Lock()
		if g.answered == nil {
			g.answered = map[*target.CredentialUse]int{}
		}
		g.answered[use] = resp.StatusCode
		g.mu.Unlock()
	}
	return resp, err
}

func formHas(f url.Values, v string) bool {
	for _, vs := range f {
		for _, x := range vs {
			if x == v {
				return true
			}
		}
	}
	return false
}
