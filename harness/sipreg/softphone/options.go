package softphone

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"example.com/cutover/harness/sipreg"
)

// Option configures a Client; errors surface from New.
type Option func(*config) error

// Dialer opens the TCP connection TLS runs over; the harness injects one
// that maps registrar names to the fake, container or lab address.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

type config struct {
	dial    Dialer
	tls     *tls.Config
	clock   func() time.Time
	timeout time.Duration
	wait    func(ctx context.Context, d time.Duration) error
	trusted []string
	delta   time.Duration
	limits  sipreg.Limits
}

func defaultConfig() config {
	return config{
		dial:    (&net.Dialer{}).DialContext,
		tls:     &tls.Config{MinVersion: tls.VersionTLS12},
		clock:   time.Now,
		timeout: DefaultTimeout,
		wait:    sleepCtx,
		delta:   5 * time.Second,
	}
}

// DefaultTimeout bounds one exchange (dial and handshake, or one REGISTER
// transaction) when WithTimeout is not given.
const DefaultTimeout = 10 * time.Second

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WithDialer sets how TCP connections are opened; default net.Dialer.
func WithDialer(d Dialer) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("nil dialer")
		}
		c.dial = d
		return nil
	}
}

// WithTLSConfig sets the trust roots (RootCAs), the name to verify
// (ServerName, default the registrar's host) and, for the MRA port, the
// Expressway-C client certificate. A copy is kept; MinVersion is raised to
// TLS 1.2 whatever it says, and Time defaults to the client's clock.
func WithTLSConfig(tc *tls.Config) Option {
	return func(c *config) error {
		if tc == nil {
			return errors.New("nil TLS config")
		}
		if tc.InsecureSkipVerify {
			return errors.New("InsecureSkipVerify: the client verifies the chain and SAN")
		}
		c.tls = tc.Clone()
		return nil
	}
}

// WithClock sets the time for Date headers, evidence and certificate
// validity; default time.Now. Network deadlines use real time.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithTimeout bounds each exchange (dial plus handshake, and each REGISTER
// transaction with its provisional responses); default 10 s.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("timeout %v", d)
		}
		c.timeout = d
		return nil
	}
}

// WithWait sets how the client waits until a re-registration is due;
// default a timer. Tests pass one that advances a fake clock instead.
func WithWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) error {
		if wait == nil {
			return errors.New("nil wait")
		}
		c.wait = wait
		return nil
	}
}

// WithTrustedAuthzServers lists the authz_server URLs the client may
// follow (RFC 8898 §2.1.1); a challenge naming any other is refused
// without sending a token. Default: none, which refuses every
// authz_server (UCM's challenge has none).
func WithTrustedAuthzServers(urls ...string) Option {
	return func(c *config) error {
		c.trusted = append(c.trusted, urls...)
		return nil
	}
}

// WithRegisterDelta sets how long before expiry a binding is refreshed
// (UCM's timerRegisterDelta); default 5 s, never less than half the
// granted time.
func WithRegisterDelta(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("register delta %v", d)
		}
		c.delta = d
		return nil
	}
}

// WithLimits bounds the messages the client reads; default
// sipreg.DefaultMaxHeader and DefaultMaxBody.
func WithLimits(l sipreg.Limits) Option {
	return func(c *config) error { c.limits = l; return nil }
}
