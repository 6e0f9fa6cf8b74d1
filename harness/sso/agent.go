package sso

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/httpx"
)

const (
	// DefaultMaxHops bounds one Navigate.
	DefaultMaxHops = 25

	// ErrTooManyHops: the redirect and form chain did not end.
	ErrTooManyHops = httpx.Sentinel("sso: too many hops")
	// ErrSignInFailed: a login form came back after the agent submitted
	// credentials (wrong password, locked account): a failed sign-in of
	// the site, not an error of the suite.
	ErrSignInFailed = httpx.Sentinel("sso: sign-in failed")
	// ErrPrompt: a login form was shown for which no credentials were
	// configured.
	ErrPrompt = httpx.Sentinel("sso: credential prompt without credentials")
	// ErrNavigate wraps transport errors and bad redirects.
	ErrNavigate = httpx.Sentinel("sso: navigation failed")
)

// Login says how to fill login forms: which pages (URLPrefix, "" = any),
// which fields (empty names: the first text/email input and the password
// input), and the credentials. Real IdPs' field names come from the target
// file (e.g. ADFS UserName/Password, SimpleSAMLphp username/password).
type Login struct {
	URLPrefix                    string
	UsernameField, PasswordField string
	Username, Password           string
}

// Option configures an Agent.
type Option func(*Agent) error

// WithLogin adds a login form rule; the first rule whose URLPrefix
// matches the page fills it.
func WithLogin(l Login) Option {
	return func(a *Agent) error {
		if l.Password == "" {
			return errors.New("login rule without password")
		}
		a.logins = append(a.logins, l)
		a.red.Add(l.Password)
		return nil
	}
}

// WithMaxHops bounds one Navigate; default DefaultMaxHops.
func WithMaxHops(n int) Option {
	return func(a *Agent) error {
		if n < 1 {
			return fmt.Errorf("bad max hops %d", n)
		}
		a.maxHops = n
		return nil
	}
}

// WithStop ends navigation at a redirect whose target stop accepts (the
// app's OAuth callback), as the embedded browser hands it to the app.
// Redirects to schemes other than http(s) always stop.
func WithStop(stop func(*url.URL) bool) Option {
	return func(a *Agent) error { a.stop = stop; return nil }
}

// WithClock stamps hops; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(a *Agent) error {
		if now == nil {
			return errors.New("nil clock")
		}
		a.clock = now
		return nil
	}
}

// Agent is the apps' embedded browser: a cookie jar over an injected
// transport, following redirects (itself, counting hops), auto-posting
// SAML forms, filling login forms and counting credential prompts.
type Agent struct {
	hc      *http.Client
	logins  []Login
	maxHops int
	stop    func(*url.URL) bool
	clock   func() time.Time
	red     Redactor

	mu      sync.Mutex
	prompts int
}

// NewAgent uses hc's transport and timeout (nil hc: http.DefaultTransport)
// with a fresh cookie jar; hc itself is not changed and may follow
// redirects or not: the agent never lets it.
func NewAgent(hc *http.Client, opts ...Option) (*Agent, error) {
	jar, _ := cookiejar.New(nil)
	var rt http.RoundTripper
	var timeout time.Duration
	if hc != nil {
		rt, timeout = hc.Transport, hc.Timeout
	}
	a := &Agent{
		hc: &http.Client{Transport: rt, Jar: jar, Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		maxHops: DefaultMaxHops,
		clock:   time.Now,
	}
	for _, o := range opts {
		if err := o(a); err != nil {
			return nil, fmt.Errorf("sso: option: %w", err)
		}
	}
	return a, nil
}

// Prompts is how many credential prompts (login forms) the agent has been
// shown so far, over all navigations.
func (a *Agent) Prompts() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.prompts
}

// Redactor is the agent's redactor: it knows the passwords, cookie values,
// SAMLResponses and callback secrets the agent has handled.
func (a *Agent) Redactor() *Redactor { return &a.red }

// Hop is one request of a navigation, secrets redacted.
type Hop struct {
	At       time.Time
	Method   string
	URL      string
	Status   int
	Location string
	// Action is what the agent did with the answer: "redirect",
	// "auto-post", "login", "stop", "page" or "error".
	Action string
	// Fields are the names of the form fields posted (no values).
	Fields []string
	// SetCookies are the names of cookies set (no values).
	SetCookies []string
	// Prompt marks a page showing a login form.
	Prompt bool
}

// Result is the outcome of one navigation.
type Result struct {
	Hops    []Hop
	Prompts int
	// Status, URL and Body describe the last page when the navigation did
	// not stop at a callback (Body capped at MaxPage).
	Status int
	URL    string
	Body   []byte
	// Alert is the error text of the last login page, if any.
	Alert string

	callback *url.URL
	// Posted holds SAMLResponse values posted during the navigation, for
	// the checks that inspect assertions (never printed).
	posted []posted
	red    *Redactor
}

type posted struct {
	action       string
	samlResponse string
}

// Callback is the URL the navigation stopped at (nil if none). It holds
// secrets (tokens, codes): never print it; use Evidence.
func (r *Result) Callback() *url.URL { return r.callback }

// SAMLResponses returns the SAMLResponse values posted to action URLs
// starting with prefix ("" = all), oldest first. They are secrets.
func (r *Result) SAMLResponses(prefix string) []string {
	var out []string
	for _, p := range r.posted {
		if strings.HasPrefix(p.action, prefix) {
			out = append(out, p.samlResponse)
		}
	}
	return out
}

// Evidence renders the hops, one a line, secrets redacted.
func (r *Result) Evidence() string {
	var b strings.Builder
	for i, h := range r.Hops {
		fmt.Fprintf(&b, "%2d %s %s -> %d %s", i+1, h.Method, h.URL, h.Status, h.Action)
		if h.Location != "" {
			fmt.Fprintf(&b, " Location: %s", h.Location)
		}
		if len(h.Fields) > 0 {
			fmt.Fprintf(&b, " fields: %s", strings.Join(h.Fields, ","))
		}
		for _, c := range h.SetCookies {
			fmt.Fprintf(&b, " set-cookie: %s=%s", c, Redacted)
		}
		if h.Prompt {
			b.WriteString(" [credential prompt]")
		}
		b.WriteByte('\n')
	}
	if r.Alert != "" {
		fmt.Fprintf(&b, "alert: %s\n", r.Alert)
	}
	fmt.Fprintf(&b, "prompts: %d\n", r.Prompts)
	if r.red != nil {
		return r.red.String(b.String())
	}
	return b.String()
}

// String is Evidence, so a Result printed with %v leaks nothing.
func (r *Result) String() string { return r.Evidence() }

// Get navigates from rawURL with GET.
func (a *Agent) Get(ctx context.Context, rawURL string) (*Result, error) {
	return a.Navigate(ctx, http.MethodGet, rawURL, nil)
}

// Navigate sends one request and follows the chain like the embedded
// browser: redirects, auto-post forms and login forms, until a callback
// (WithStop or a non-http scheme), a page that is none of these, an error,
// or the hop limit. A ctx without deadline gets httpx.DefaultTimeout.
// The Result is returned in every case, with the hops so far.
func (a *Agent) Navigate(ctx context.Context, method, rawURL string, form url.Values) (*Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, httpx.DefaultTimeout)
		defer cancel()
	}
	res := &Result{red: &a.red}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return res, fmt.Errorf("%w: bad start URL %q", ErrNavigate, a.red.RawURL(rawURL))
	}
	submittedLogin := false
	for hop := 0; ; hop++ {
		if hop >= a.maxHops {
			return res, fmt.Errorf("%w: more than %d at %s", ErrTooManyHops, a.maxHops, a.red.URL(u))
		}
		h := Hop{At: a.clock(), Method: method, URL: a.red.URL(u)}
		for k := range form {
			h.Fields = append(h.Fields, k)
			if IsSecretKey(k) {
				a.red.Add(form[k]...)
			}
		}
		resp, body, err := a.do(ctx, method, u, form)
		if err != nil {
			h.Action = "error"
			res.Hops = append(res.Hops, h)
			return res, fmt.Errorf("%w: %s %s: %s", ErrNavigate, method, a.red.URL(u), a.red.String(err.Error()))
		}
		h.Status = resp.StatusCode
		for _, c := range resp.Cookies() {
			h.SetCookies = append(h.SetCookies, c.Name)
			a.red.Add(c.Value)
		}
		if loc := resp.Header.Get("Location"); loc != "" && isRedirect(resp.StatusCode) {
			next, err := u.Parse(loc)
			if err != nil {
				h.Action = "error"
				res.Hops = append(res.Hops, h)
				return res, fmt.Errorf("%w: bad Location from %s", ErrNavigate, a.red.URL(u))
			}
			a.registerCallbackSecrets(next)
			h.Location = a.red.URL(next)
			if (next.Scheme != "http" && next.Scheme != "https") || (a.stop != nil && a.stop(next)) {
				h.Action = "stop"
				res.Hops = append(res.Hops, h)
				res.callback = next
				return res, nil
			}
			h.Action = "redirect"
			res.Hops = append(res.Hops, h)
			if resp.StatusCode == http.StatusSeeOther || ((resp.StatusCode == 301 || resp.StatusCode == 302) && method == http.MethodPost) {
				method, form = http.MethodGet, nil
			}
			u = next
			continue
		}
		res.Status, res.URL, res.Body = resp.StatusCode, a.red.URL(u), body
		if resp.StatusCode != http.StatusOK || !isHTML(resp.Header.Get("Content-Type")) {
			h.Action = "page"
			res.Hops = append(res.Hops, h)
			return res, nil
		}
		forms, err := ParseForms(body, u)
		if err != nil {
			h.Action = "page"
			res.Hops = append(res.Hops, h)
			return res, nil
		}
		if f, ok := loginForm(forms); ok {
			h.Prompt = true
			a.mu.Lock()
			a.prompts++
			a.mu.Unlock()
			res.Prompts++
			res.Alert = f.Alert
			if submittedLogin {
				h.Action = "page"
				res.Hops = append(res.Hops, h)
				return res, fmt.Errorf("%w: login form shown again at %s%s", ErrSignInFailed, a.red.URL(u), alertSuffix(f.Alert))
			}
			rule, ok := a.rule(u)
			if !ok {
				h.Action = "page"
				res.Hops = append(res.Hops, h)
				return res, fmt.Errorf("%w: at %s", ErrPrompt, a.red.URL(u))
			}
			vals, err := fill(f, rule)
			if err != nil {
				h.Action = "page"
				res.Hops = append(res.Hops, h)
				return res, fmt.Errorf("%w: at %s: %v", ErrPrompt, a.red.URL(u), err)
			}
			h.Action = "login"
			res.Hops = append(res.Hops, h)
			method, form, submittedLogin = f.Method, vals, true
			u, _ = url.Parse(f.Action)
			if method == http.MethodGet {
				u.RawQuery, form = vals.Encode(), nil
			}
			continue
		}
		if f, ok := autoPost(forms); ok {
			h.Action = "auto-post"
			res.Hops = append(res.Hops, h)
			vals := f.Values()
			if sr := vals.Get("SAMLResponse"); sr != "" {
				a.red.Add(sr)
				res.posted = append(res.posted, posted{action: f.Action, samlResponse: sr})
			}
			method, form, submittedLogin = f.Method, vals, false
			u, _ = url.Parse(f.Action)
			if method == http.MethodGet {
				u.RawQuery, form = vals.Encode(), nil
			}
			continue
		}
		h.Action = "page"
		res.Hops = append(res.Hops, h)
		return res, nil
	}
}

func alertSuffix(alert string) string {
	if alert == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", clip(alert))
}

func (a *Agent) registerCallbackSecrets(u *url.URL) {
	for _, raw := range []string{u.RawQuery, u.EscapedFragment()} {
		v, _ := url.ParseQuery(raw)
		for k, vs := range v {
			if IsSecretKey(k) {
				a.red.Add(vs...)
			}
		}
	}
}

func (a *Agent) rule(u *url.URL) (Login, bool) {
	s := u.String()
	for _, l := range a.logins {
		if l.URLPrefix == "" || strings.HasPrefix(s, l.URLPrefix) {
			return l, true
		}
	}
	return Login{}, false
}

func (a *Agent) do(ctx context.Context, method string, u *url.URL, form url.Values) (*http.Response, []byte, error) {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := httpx.ReadCapped(resp.Body, MaxPage)
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

func isHTML(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// loginForm returns the first form with a password input.
func loginForm(forms []Form) (Form, bool) {
	for _, f := range forms {
		if f.Password() != "" {
			return f, true
		}
	}
	return Form{}, false
}

func autoPost(forms []Form) (Form, bool) {
	for _, f := range forms {
		if f.AutoPost() {
			return f, true
		}
	}
	return Form{}, false
}

// fill sets the username and password fields of f by rule.
func fill(f Form, rule Login) (url.Values, error) {
	vals := f.Values()
	pw := rule.PasswordField
	if pw == "" {
		pw = f.Password()
	} else if !f.Has(pw) {
		return nil, fmt.Errorf("form has no password field %q", pw)
	}
	user := rule.UsernameField
	if user == "" {
		for _, fl := range f.Fields {
			if fl.Type == "text" || fl.Type == "email" {
				user = fl.Name
				break
			}
		}
	} else if !f.Has(user) {
		return nil, fmt.Errorf("form has no username field %q", user)
	}
	if user == "" {
		return nil, errors.New("form has no username field")
	}
	vals.Set(user, rule.Username)
	vals.Set(pw, rule.Password)
	return vals, nil
}
