package target

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/connectproxy"
	"example.com/cutover/harness/dnsclient"
)

// Where a client stands.
type Where string

// The two vantage points.
const (
	Inside  Where = "inside"
	Outside Where = "outside"
)

// Target is the running view of a Site that checks use: per-vantage DNS and
// HTTP clients that honour timeouts, the connect_to map, the rate limit and
// the trust store; the site boundary (nothing outside the site is dialled,
// credentials go only to hosts the target names); the authentication
// guard (never past a lockout threshold); and redaction of every form of
// every secret the site holds.
type Target struct {
	Site *Site
	// Clock is the site's time; nil is the real time. The fake sites share
	// theirs with the fakes.
	Clock *clock.Clock

	limit  *limiter
	guard  *authGuard
	bounds *boundary // nil: unbounded (a fake's own view of its network)
	// moveClock makes a site of fakes follow the Target's clock (Elapse).
	moveClock func(ctx context.Context, offset time.Duration) error

	mu      sync.Mutex
	http    map[Where]*http.Client
	secrets secrets
	redact  []string // secrets.list(), kept current by addSecretLocked
	probes  map[string]*probeCall
	closers []func() error
	closed  bool
}

// Option tunes New.
type Option func(*Target)

// Unbounded makes a Target without the site boundary: a fake's own view of
// the network it is part of, not a client's view of a site.
func Unbounded() Option { return func(t *Target) { t.bounds = nil } }

// WithAuthState keeps the authentication failures the suite causes in a
// state file under dir (StateFile), so that processes in a row share the
// failure budget for the lockout window. Without it the budget lives and
// dies with the process (the fakes cannot lock anyone out).
func WithAuthState(dir string) Option {
	return func(t *Target) { t.guard.file = StateFile(dir, t.Site) }
}

// New makes a Target for a validated Site.
func New(site *Site, opts ...Option) *Target {
	t := &Target{Site: site, http: map[Where]*http.Client{}, probes: map[string]*probeCall{}}
	t.limit = newLimiter(site.Limits)
	t.guard = newAuthGuard(site.Limits, "", func() time.Time { return t.Now() })
	t.bounds = newBoundary(site)
	for _, u := range site.Users {
		t.addSecret(u.Username, u.Password)
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

// AddSecret registers a value that must never appear in a report or log
// (a token minted during the run), in every form it may take.
func (t *Target) AddSecret(s string) { t.addSecret("", s) }

func (t *Target) addSecret(user, s string) {
	t.mu.Lock()
	t.secrets.add(user, s)
	t.redact = t.secrets.list()
	t.mu.Unlock()
}

// OnClose registers cleanup run by Close in reverse order.
func (t *Target) OnClose(f func() error) {
	t.mu.Lock()
	t.closers = append(t.closers, f)
	t.mu.Unlock()
}

// Close stops whatever the target started (fakes, containers). Idempotent.
func (t *Target) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	closers := t.closers
	clients := t.http
	t.mu.Unlock()
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	return errors.Join(errs...)
}

// Now is the site's time.
func (t *Target) Now() time.Time { return t.Clock.Now() }

// OnClockMove makes the site's time movable: a site of fakes calls it
// with how its fakes follow the Target's clock (nothing to do when they
// share it in-process; a message to each container otherwise). A target
// without it is a real site, whose time only passes.
func (t *Target) OnClockMove(f func(ctx context.Context, offset time.Duration) error) {
	t.moveClock = f
}

// Elapse lets d of site time pass and says how: on a site of fakes the
// clock of the fakes, the clients and the checks moves by d at once; on a
// real site it waits d of real time (until ctx ends: a run's deadline
// bounds it). A check that needs a token to expire calls it instead of
// sleeping, and puts the returned sentence in its evidence.
func (t *Target) Elapse(ctx context.Context, d time.Duration) (string, error) {
	if d <= 0 {
		return "no time needed to pass", nil
	}
	if t.moveClock != nil {
		if t.Clock == nil {
			t.Clock = clock.New(0)
		}
		t.Clock.Advance(d)
		if err := t.moveClock(ctx, t.Clock.Offset()); err != nil {
			return "", fmt.Errorf("target: move the fakes' clock by %v: %w", d, err)
		}
		return fmt.Sprintf("moved the site clock of the fakes by %v (now %s)", d, t.Now().UTC().Format(time.RFC3339)), nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return fmt.Sprintf("waited %v of real time (a real site's clock cannot be moved)", d), nil
	case <-ctx.Done():
		return "", NotTested(fmt.Errorf("target: waiting %v of real time for the site: %w", d, context.Cause(ctx)))
	}
}

// Timeout bounds one network call.
func (t *Target) Timeout() time.Duration { return t.Site.Limits.Timeout.D() }

// DNSTimeout bounds one DNS exchange (limits.dns_timeout, else Timeout).
func (t *Target) DNSTimeout() time.Duration {
	if d := t.Site.Limits.DNSTimeout.D(); d > 0 {
		return d
	}
	return t.Timeout()
}

// DeliveryTimeout bounds the wait for one message to arrive
// (limits.delivery_timeout, else Timeout; never more than Timeout).
func (t *Target) DeliveryTimeout() time.Duration {
	if d := t.Site.Limits.DeliveryTimeout.D(); d > 0 && d < t.Timeout() {
		return d
	}
	return t.Timeout()
}

// RunTimeout bounds a whole run (limits.run_timeout).
func (t *Target) RunTimeout() time.Duration { return t.Site.Limits.RunTimeout.D() }

// Redact replaces every form of every registered secret in s, and the
// value of any Authorization-like header, with [REDACTED].
func (t *Target) Redact(s string) string {
	t.mu.Lock()
	forms := t.redact
	t.mu.Unlock()
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, "[REDACTED]")
	}
	return RedactHeaders(s)
}

// Follow caps a list the site handed over (SRV targets, a servers list) at
// limits.max_targets: a site that answers with thousands of targets must
// not make the run follow each. It reports whether the list was cut.
func Follow[T any](t *Target, list []T) ([]T, bool) {
	if n := t.Site.Limits.MaxTargets; n > 0 && len(list) > n {
		return list[:n], true
	}
	return list, false
}

// Resolver returns the DNS server address of a vantage point.
func (t *Target) Resolver(w Where) string {
	if w == Outside {
		return t.Site.Vantage.Outside.Resolver
	}
	return t.Site.Vantage.Inside.Resolver
}

// DNS returns a DNS client as a client at w would use it: every datagram
// and connection it sends waits for the rate limit.
func (t *Target) DNS(w Where) *dnsclient.Client {
	return dnsclient.New(t.Resolver(w), dnsclient.WithTimeout(t.DNSTimeout()),
		dnsclient.WithBefore(func(ctx context.Context, _, server string) error { return t.limit.wait(ctx, server) }))
}

// LookupSRV asks the vantage's resolver for an SRV RRset. At most
// limits.max_targets records come back (the answer keeps them all).
func (t *Target) LookupSRV(ctx context.Context, w Where, name string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	srvs, a, err := t.DNS(w).LookupSRV(ctx, name)
	srvs, _ = Follow(t, srvs)
	return srvs, a, t.resolverErr(w, err)
}

// LookupHost resolves a host name from w.
func (t *Target) LookupHost(ctx context.Context, w Where, host string) ([]netip.Addr, []string, error) {
	addrs, cnames, err := t.DNS(w).LookupHost(ctx, host)
	return addrs, cnames, t.resolverErr(w, err)
}

// ExchangeTCP asks over TCP only.
func (t *Target) ExchangeTCP(ctx context.Context, w Where, name string, qtype uint16) (*dnsclient.Answer, error) {
	a, err := t.DNS(w).ExchangeTCP(ctx, name, qtype)
	return a, t.resolverErr(w, err)
}

// resolverErr marks a resolver that did not answer in time as a reason the
// suite could not test: the site's records are unknown, not wrong.
func (t *Target) resolverErr(w Where, err error) error {
	if err != nil && IsTimeout(err) {
		return fmt.Errorf("%w: the %s resolver %s did not answer within %s: %w", ErrNoAnswer, w, t.Resolver(w), t.DNSTimeout(), err)
	}
	return err
}

// IsTimeout reports whether err is a network call that ran out of time
// (a socket deadline, a context deadline, an HTTP client timeout).
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TLSConfig is the client TLS configuration for a connection to
// serverName ("" for HTTP, which sets it per request): the site's roots,
// TLS 1.2 or higher, verification on unless tls.insecure_skip_verify.
// Every client of the suite that speaks TLS itself (SIP, XMPP) starts from
// it.
func (t *Target) TLSConfig(serverName string) *tls.Config {
	// InsecureSkipVerify only by the target's explicit opt-out, which every
	// report shows and which stops every credential (boundary.credential).
	return &tls.Config{RootCAs: t.Site.Roots, MinVersion: tls.VersionTLS12, ServerName: serverName,
		InsecureSkipVerify: t.Site.TLS.InsecureSkipVerify}
}

// TLSVerification says how TLS is verified, for the reports.
func (t *Target) TLSVerification() string {
	if t.Site.TLS.InsecureSkipVerify {
		return "OFF (tls.insecure_skip_verify in the target): connections are not verified and no credential is sent"
	}
	return "on"
}

// HTTPClient returns the HTTP client of a client standing at w: names are
// resolved through w's DNS, connect_to applies, TLS trusts the site roots,
// every phase has the target's timeout and every request waits for the rate
// limit. Redirects are not followed: the checks look at them.
func (t *Target) HTTPClient(w Where) *http.Client {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.http[w]; ok {
		return c
	}
	timeout := t.Timeout()
	tr := &http.Transport{
		DialContext:           t.DialContext(w),
		TLSClientConfig:       t.TLSConfig(""),
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     false,
	}
	c := &http.Client{
		Transport: limitedTransport{t: t, w: w, next: tr},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	t.http[w] = c
	return c
}

type limitedTransport struct {
	t    *Target
	w    Where
	next http.RoundTripper
}

// RoundTrip enforces, per request: the credential policy (verified TLS,
// a host the target names), the authentication guard (no credential a
// host refused before, nothing past its failure budget), the rate limit;
// and records a refusal of a test user's credential (401, 403).
func (l limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	host := r.URL.Hostname()
	user, has := requestCredential(r)
	probe := isProbe(ctx)
	if has && l.t.bounds != nil {
		// What the site got wrong comes first: a host outside the site, or
		// one that does not resolve, fails the check; only a host of the
		// site that the target does not name makes it "could not test".
		if err := l.t.bounds.dial(host); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, r.URL.Redacted())
		}
		if err := l.t.bounds.credential(r.URL.Scheme, host); err != nil {
			if _, _, lerr := l.t.LookupHost(ctx, l.w, host); lerr != nil && !errors.Is(lerr, ErrNotTested) {
				return nil, fmt.Errorf("%w from %s: %s: %w", ErrNoAddress, l.w, host, lerr)
			}
			return nil, fmt.Errorf("%w (%s's credential for %s)", err, user, r.URL.Redacted())
		}
	}
	var use *CredentialUse
	if has && !probe {
		u, err := l.t.guard.use(ctx, host, user)
		if err != nil {
			return nil, err
		}
		use = u
		defer use.Done()
	}
	if err := l.t.limit.wait(ctx, normHost(host)); err != nil {
		return nil, err
	}
	if use != nil {
		l.t.limit.credential(normHost(host))
	}
	resp, err := l.next.RoundTrip(r)
	if err != nil || use == nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		// A test user's credential refused: the check could not test (the
		// test user's password may be wrong), and the credential is not
		// sent there again.
		why := fmt.Sprintf("%s %s answered %d", r.Method, r.URL.Path, resp.StatusCode)
		use.Refused(why)
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s refused %s's credential (%s): check the test user's password in the target", ErrCredentialRefused, host, user, why)
	}
	use.Accepted()
	return resp, nil
}

// requestCredential names the credential a request carries: the Basic
// user, the user the context names (a Bearer token's), or "a token".
func requestCredential(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		h = r.Header.Get("Proxy-Authorization")
	}
	if h == "" && r.URL.User == nil {
		return "", false
	}
	if u := credentialOf(r.Context()); u != "" {
		return u, true
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u, true
	}
	if r.URL.User != nil {
		return r.URL.User.Username(), true
	}
	return "a token", true
}

// ErrNoAddress means a host name did not resolve from the vantage point.
var ErrNoAddress = errors.New("target: name does not resolve")

// DialContext dials "host:port" as a client at w would: the name is resolved
// through w's DNS (so a name that does not resolve there cannot be reached),
// connect_to may redirect the connection, and with a vantage proxy the
// connection is made from the proxy (so an address the vantage cannot reach
// is not reached).
func (t *Target) DialContext(w Where) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: t.Timeout()}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("target: dial %s: %w", addr, err)
		}
		if t.bounds != nil {
			if err := t.bounds.dial(host); err != nil {
				return nil, fmt.Errorf("%w (dialling %s from %s)", err, addr, w)
			}
		}
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else {
			addrs, _, err = t.LookupHost(ctx, w, host)
			if err != nil {
				return nil, fmt.Errorf("%w from %s: %s (dialling %s): %w", ErrNoAddress, w, host, addr, err)
			}
		}
		proxy := t.proxy(w)
		var errs []error
		for _, a := range addrs {
			to := t.connectTo(host, a, port)
			if err := t.limit.wait(ctx, normHost(host)); err != nil {
				return nil, err
			}
			var c net.Conn
			var err error
			if proxy != "" {
				c, err = connectproxy.Dial(ctx, d, proxy, to)
			} else {
				c, err = d.DialContext(ctx, network, to)
			}
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		err = fmt.Errorf("target: dial %s from %s: %w", addr, w, errors.Join(errs...))
		if IsTimeout(err) {
			err = fmt.Errorf("%w: %w", ErrNoAnswer, err)
		}
		return nil, err
	}
}

// Pace waits until one more packet, message or request may go to host
// under the target's rate limits (limits.rps, limits.rps_per_host). DNS
// and HTTP through the Target are paced already; a check that speaks
// another protocol itself (a SIP REGISTER, an XMPP stanza) calls Pace
// before each message it sends.
func (t *Target) Pace(ctx context.Context, host string) error {
	return t.limit.wait(ctx, normHost(host))
}

// CredentialTo says whether a credential (a password, a bearer token, an
// assertion) may go to host over scheme, the scheme of a protocol over
// verified TLS: "https", "sips" (SIP over TLS) or "xmpps" (XMPP after
// STARTTLS or direct TLS). Anything else, or a host the target does not
// name, is refused with ErrCredentialPolicy. HTTP through the Target's
// clients is checked already; a check that sends a credential over
// another protocol calls CredentialTo first, then UseCredential.
func (t *Target) CredentialTo(scheme, host string) error {
	if t.bounds == nil {
		return nil
	}
	return t.bounds.credential(scheme, host)
}

// proxy is the vantage's CONNECT proxy, or "".
func (t *Target) proxy(w Where) string {
	if w == Outside {
		return t.Site.Vantage.Outside.Proxy
	}
	return t.Site.Vantage.Inside.Proxy
}

// connectTo applies the connect_to map: an ip:port entry wins over a
// host:port one; without an entry the resolved address is dialled.
func (t *Target) connectTo(host string, a netip.Addr, port string) string {
	ipPort := net.JoinHostPort(a.String(), port)
	hostPort := net.JoinHostPort(strings.ToLower(strings.TrimSuffix(host, ".")), port)
	var byHost string
	for _, c := range t.Site.ConnectTo {
		switch strings.ToLower(c.From) {
		case ipPort:
			return c.To
		case hostPort:
			byHost = c.To
		}
	}
	if byHost != "" {
		return byHost
	}
	return ipPort
}

// View is the target as seen from one vantage point: what a client standing
// there can resolve and reach.
type View struct {
	t *Target
	w Where
}

// From returns the view from w.
func (t *Target) From(w Where) View { return View{t: t, w: w} }

// Where is the vantage point of the view.
func (v View) Where() Where { return v.w }

// LookupSRV asks this vantage's resolver.
func (v View) LookupSRV(ctx context.Context, name string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	return v.t.LookupSRV(ctx, v.w, name)
}

// LookupHost resolves from this vantage.
func (v View) LookupHost(ctx context.Context, host string) ([]netip.Addr, []string, error) {
	return v.t.LookupHost(ctx, v.w, host)
}

// HTTP is the vantage's HTTP client.
func (v View) HTTP() *http.Client { return v.t.HTTPClient(v.w) }

// Dial dials like a client at this vantage point.
func (v View) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return v.t.DialContext(v.w)(ctx, network, addr)
}
