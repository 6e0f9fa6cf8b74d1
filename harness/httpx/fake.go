package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
)

// Fake is what every HTTPS fake is configured with: where it listens, the
// certificate it presents and the host name it answers as. A fake's config
// embeds it; its WithAddr, WithCertificate and WithHostname options call the
// setters, which validate.
type Fake struct {
	// Addr is the listen address; default 127.0.0.1:0.
	Addr string
	// Cert is the server certificate; required.
	Cert *tls.Certificate
	// Hostname is the FQDN the fake answers as (in URIs it returns).
	Hostname string
}

// FakeBase gives Configure the embedded Fake of any config.
func (f *Fake) FakeBase() *Fake { return f }

// SetAddr sets the listen address.
func (f *Fake) SetAddr(addr string) error {
	if addr == "" {
		return errors.New("httpx: empty listen address")
	}
	f.Addr = addr
	return nil
}

// SetCertificate sets the server certificate.
func (f *Fake) SetCertificate(cert tls.Certificate) error {
	if len(cert.Certificate) == 0 {
		return errors.New("httpx: empty certificate")
	}
	f.Cert = &cert
	return nil
}

// SetHostname sets the FQDN the fake answers as.
func (f *Fake) SetHostname(fqdn string) error {
	if fqdn == "" || strings.ContainsAny(fqdn, "/: ") {
		return fmt.Errorf("httpx: bad hostname %q", fqdn)
	}
	f.Hostname = fqdn
	return nil
}

// Configure is the start of every fake's New: it refuses a done context
// and applies the options to cfg (which holds the defaults). Errors read
// "<pkg>: option: …". A handler mounted by a host needs no certificate of
// its own; a fake's Start, which listens, checks for one with RequireCert.
func Configure[C any, PC interface {
	*C
	FakeBase() *Fake
}, O ~func(*C) error](ctx context.Context, pkg string, cfg PC, opts []O) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: start: %w", pkg, err)
	}
	for _, o := range opts {
		if err := o((*C)(cfg)); err != nil {
			return fmt.Errorf("%s: option: %w", pkg, err)
		}
	}
	return nil
}

// RequireCert is what a fake's Start checks before it listens on TLS.
func (f *Fake) RequireCert(pkg string) error {
	if f.Cert == nil {
		return fmt.Errorf("%s: option: WithCertificate is required", pkg)
	}
	return nil
}
