package target

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

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

// ErrSafetyLimit is returned instead of sending a request that would break a
// safety limit of the target file (e.g. one more bad-credential probe).
var ErrSafetyLimit = errors.New("target: safety limit reached")

// Target is the running view of a Site that checks use: per-vantage DNS and
// HTTP clients that honour timeouts, the connect_to map, the rate limit and
// the trust store, plus redaction of every secret the site holds.
type Target struct {
	Site *Site
	// Clock is the site's time; nil is the real time. The fake sites share
	// theirs with the fakes.
	Clock *clock.Clock

	limiter      *rate.Limiter
	authFailures atomic.Int64

	mu      sync.Mutex
	http    map[Where]*http.Client
	secrets []string
	closers []func() error
	closed  bool
}

// New makes a Target for a validated Site.
func New(site *Site) *Target {
	t := &Target{Site: site, http: map[Where]*http.Client{}}
	if site.Limits.RPS > 0 {
		burst := int(site.Limits.RPS)
		if burst < 1 {
			burst = 1
		}
		t.limiter = rate.NewLimiter(rate.Limit(site.Limits.RPS), burst)
	}
	for _, u := range site.Users {
		t.AddSecret(u.Password)
	}
	return t
}

// AddSecret registers a value that must never appear in a report or log.
func (t *Target) AddSecret(s string) {
	if len(s) < 3 {
		return
	}
	t.mu.Lock()
	t.secrets = append(t.secrets, s)
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

// Timeout bounds one network call.
func (t *Target) Timeout() time.Duration { return t.Site.Limits.Timeout.D() }

// Redact replaces every registered secret in s, and the value of any
// Authorization-like header or bearer token, with [REDACTED].
func (t *Target) Redact(s string) string {
	t.mu.Lock()
	secrets := t.secrets
	t.mu.Unlock()
	for _, sec := range secrets {
		s = strings.ReplaceAll(s, sec, "[REDACTED]")
	}
	return RedactHeaders(s)
}

// RedactHeaders blanks credentials in header-like text even when the secret
// was never registered (tokens minted during a run).
func RedactHeaders(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		l := strings.ToLower(line)
		for _, h := range []string{"authorization:", "proxy-authorization:", "cookie:", "set-cookie:"} {
			if j := strings.Index(l, h); j >= 0 {
				end := len(line)
				if strings.HasSuffix(line, "\n") {
					end--
				}
				line = line[:j+len(h)] + " [REDACTED]" + line[end:]
				break
			}
		}
		b.WriteString(line)
	}
	return b.String()
}

// Wait blocks until the rate limit allows one more request.
func (t *Target) Wait(ctx context.Context) error {
	if t.limiter == nil {
		return nil
	}
	if err := t.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("target: rate limit: %w", err)
	}
	return nil
}

// SpendAuthFailure reserves one deliberate authentication failure (a check
// that sends bad credentials on purpose). Past limits.max_auth_failures it
// returns ErrSafetyLimit and the probe must not be sent.
func (t *Target) SpendAuthFailure() error {
	n := t.authFailures.Add(1)
	if max := int64(t.Site.Limits.MaxAuthFailures); n > max {
		return fmt.Errorf("%w: limits.max_auth_failures is %d; not sending bad credentials again", ErrSafetyLimit, max)
	}
	return nil
}

// Resolver returns the DNS server address of a vantage point.
func (t *Target) Resolver(w Where) string {
	if w == Outside {
		return t.Site.Vantage.Outside.Resolver
	}
	return t.Site.Vantage.Inside.Resolver
}

// DNS returns a DNS client as a client at w would use it.
func (t *Target) DNS(w Where) *dnsclient.Client {
	return dnsclient.New(t.Resolver(w), dnsclient.WithTimeout(t.Timeout()))
}

// LookupSRV asks the vantage's resolver for an SRV RRset, rate-limited.
func (t *Target) LookupSRV(ctx context.Context, w Where, name string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	if err := t.Wait(ctx); err != nil {
		return nil, nil, err
	}
	return t.DNS(w).LookupSRV(ctx, name)
}

// LookupHost resolves a host name from w, rate-limited.
func (t *Target) LookupHost(ctx context.Context, w Where, host string) ([]netip.Addr, []string, error) {
	if err := t.Wait(ctx); err != nil {
		return nil, nil, err
	}
	return t.DNS(w).LookupHost(ctx, host)
}

// ExchangeTCP asks over TCP only, rate-limited.
func (t *Target) ExchangeTCP(ctx context.Context, w Where, name string, qtype uint16) (*dnsclient.Answer, error) {
	if err := t.Wait(ctx); err != nil {
		return nil, err
	}
	return t.DNS(w).ExchangeTCP(ctx, name, qtype)
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
		TLSClientConfig:       &tls.Config{RootCAs: t.Site.Roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     false,
	}
	c := &http.Client{
		Transport: limitedTransport{t: t, next: tr},
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
	next http.RoundTripper
}

func (l limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := l.t.Wait(r.Context()); err != nil {
		return nil, err
	}
	return l.next.RoundTrip(r)
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
			return nil, err
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
		return nil, fmt.Errorf("target: dial %s from %s: %w", addr, w, errors.Join(errs...))
	}
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
