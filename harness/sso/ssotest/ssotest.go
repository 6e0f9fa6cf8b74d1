// Package ssotest serves several HTTPS fakes, each under its own host
// name, from one TLS listener on loopback, and gives a client that reaches
// them by name: every dial goes to 127.0.0.1:<port>, whatever the host.
// For tests of the SSO packages; the site model does the same in
// harness/fakesite.
package ssotest

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/cutover/harness/pki"
)

// Site is a running set of virtual hosts.
type Site struct {
	srv   *httptest.Server
	hosts map[string]http.Handler
	ca    *pki.CA
}

// New serves hosts (host name → handler) over TLS with a certificate for
// every name, signed by a fresh test CA; it is closed by t.Cleanup.
func New(t testing.TB, hosts map[string]http.Handler) *Site {
	t.Helper()
	s, err := Start(hosts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start is New for examples and programs: the caller closes the site.
func Start(hosts map[string]http.Handler) (*Site, error) {
	ca, err := pki.NewCA("ssotest root")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	cert, err := ca.Issue("ssotest", pki.WithDNSNames(names...))
	if err != nil {
		return nil, err
	}
	s := &Site{hosts: hosts, ca: ca}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.route))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.StartTLS()
	return s, nil
}

// Close stops the listener; idempotent.
func (s *Site) Close() { s.srv.Close() }

func (s *Site) route(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	h, ok := s.hosts[strings.ToLower(host)]
	if !ok {
		http.Error(w, "ssotest: unknown host "+host, http.StatusMisdirectedRequest)
		return
	}
	h.ServeHTTP(w, r)
}

// Client returns a client that dials the site for every host, trusts its
// CA and does not follow redirects.
func (s *Site) Client() *http.Client { return s.ClientPassing() }

// ClientPassing is Client, except that the loopback addresses listed
// (e.g. a SimpleSAMLphp on 127.0.0.1:18480) are dialled as they are.
func (s *Site) ClientPassing(loopback ...string) *http.Client {
	addr := s.srv.Listener.Addr().String()
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, target string) (net.Conn, error) {
				for _, l := range loopback {
					if target == l {
						if h, _, _ := net.SplitHostPort(l); !net.ParseIP(h).IsLoopback() {
							break
						}
						return d.DialContext(ctx, network, target)
					}
				}
				return d.DialContext(ctx, network, addr)
			},
			TLSClientConfig:   &tls.Config{RootCAs: s.ca.Pool(), MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Clock is a settable test clock, safe for concurrent use; the zero value
// starts at 2025-01-06 09:00 UTC.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	}
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	now := c.Now()
	c.mu.Lock()
	c.t = now.Add(d)
	c.mu.Unlock()
}
